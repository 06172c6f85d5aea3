#include "static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string_view>
#include <vector>

#include <openclaw/sdk/files.hpp>
#include <openclaw/sdk/url.hpp>

namespace canvas {
namespace fs = std::filesystem;
namespace sdk = openclaw::sdk;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool within(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

Resolved::Resolved(Resolved&& o) noexcept
    : kind(o.kind),
      file(std::move(o.file)),
      fd(o.release()),
      size(o.size),
      mtime_sec(o.mtime_sec),
      mtime_nsec(o.mtime_nsec),
      location(std::move(o.location)),
      why(std::move(o.why)),
      shown(std::move(o.shown)) {}

Resolved& Resolved::operator=(Resolved&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) ::close(fd);
    kind = o.kind;
    file = std::move(o.file);
    fd = o.release();
    size = o.size;
    mtime_sec = o.mtime_sec;
    mtime_nsec = o.mtime_nsec;
    location = std::move(o.location);
    why = std::move(o.why);
    shown = std::move(o.shown);
  }
  return *this;
}

Resolved::~Resolved() {
  if (fd >= 0) ::close(fd);
}

namespace {

// The request path's segments after decoding, or the refusal.
std::optional<std::vector<std::string>> segments_of(std::string_view url_path, Resolved& out) {
  auto refuse = [&](Resolved::Kind k, std::string why) {
    out.kind = k;
    out.why = std::move(why);
    return std::nullopt;
  };
  if (url_path.find('\\') != std::string::npos)
    return refuse(Resolved::Kind::forbidden, "backslash");
  // One strict pass ('+' is itself in a path): "%zz" is refused, not read two ways.
  auto decoded = sdk::percent_decode(url_path);
  if (!decoded) return refuse(Resolved::Kind::bad_request, "malformed percent-encoding");
  const std::string& path = *decoded;
  if (path.find('\0') != std::string::npos) return refuse(Resolved::Kind::bad_request, "NUL byte");
  if (path.find('\\') != std::string::npos)
    return refuse(Resolved::Kind::forbidden, "encoded backslash");
  // What was encoded twice decodes to an escape; a path with no '%' left has none (the usual).
  if (path.find('%') != std::string::npos) {
    std::string l = lower(path);
    for (const char* twice : {"%2e", "%2f", "%5c", "%00", "%25"}) {
      if (l.find(twice) != std::string::npos) {
        return refuse(Resolved::Kind::forbidden, "double-encoded character");
      }
    }
  }
  std::vector<std::string> segments;
  segments.reserve(8);
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string seg =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg == "..") return refuse(Resolved::Kind::forbidden, "dot-dot segment");
    if (!seg.empty() && seg != ".") segments.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

// Non-blocking, and only a regular file: a FIFO in the root would otherwise hold the one I/O
// thread until something writes to it. O_NONBLOCK stays set (Linux ignores it for pread and
// sendfile from a regular file), so a request costs openat2 + fstat, as before.
sdk::RegularFile open_file(int dir_fd, const char* path, bool beneath) {
  sdk::OpenOptions options;
  options.beneath = beneath;
  options.keep_nonblocking = true;
  return sdk::open_regular_file(dir_fd, path, options);
}

// A refusal of what `rel` (root-relative) turned out to be.
Resolved refused(Resolved out, const sdk::RegularFile& f, const std::string& rel) {
  using R = sdk::RegularFile::Refusal;
  const int err = f.error;
  if (f.refusal == R::directory) {  // an index.html that is a folder
    out.kind = Resolved::Kind::not_found;
    out.why = f.why();
  } else if (f.refusal == R::error) {
    out.kind = err == EXDEV || err == ELOOP || err == EACCES ? Resolved::Kind::forbidden
                                                             : Resolved::Kind::not_found;
    out.why = err == EXDEV ? "symlink leaves the root" : std::strerror(err);
  } else {
    out.kind = Resolved::Kind::forbidden;  // a FIFO, socket, device: never served, always logged
    out.why = f.why();
  }
  out.shown = "/" + rel;
  return out;
}

void take(Resolved& out, sdk::RegularFile f, fs::path file) {
  out.kind = Resolved::Kind::file;
  out.file = std::move(file);
  out.size = f.size;
  out.mtime_sec = f.mtime_sec;
  out.mtime_nsec = f.mtime_nsec;
  out.fd = f.release();
}

Resolved resolve_canonical(const fs::path& root, std::string_view url_path, std::string_view mount);

}  // namespace

Resolved resolve_at(int root_fd, const fs::path& root, std::string_view url_path,
                    std::string_view mount) {
  Resolved out;
  auto segments = segments_of(url_path, out);
  if (!segments) return out;
  std::string rel;
  for (const auto& s : *segments) rel += (rel.empty() ? "" : "/") + s;
  if (rel.empty()) rel = ".";
  sdk::RegularFile f = open_file(root_fd, rel.c_str(), true);
  if (!f && f.refusal == sdk::RegularFile::Refusal::error && f.error == ENOSYS) {
    return resolve_canonical(root, url_path, mount);  // a kernel before 5.6
  }
  if (f.refusal == sdk::RegularFile::Refusal::directory) {
    if (!(url_path.empty() || url_path.back() == '/')) {
      out.kind = Resolved::Kind::redirect;
      out.location = std::string(mount).append(url_path).append("/");
      return out;
    }
    rel = rel == "." ? "index.html" : rel + "/index.html";
    f = open_file(root_fd, rel.c_str(), true);
  }
  if (!f) return refused(std::move(out), f, rel);
  take(out, std::move(f), root / rel);
  return out;
}

Resolved resolve(const fs::path& root, std::string_view url_path, std::string_view mount) {
  int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    Resolved out;
    out.why = "root missing";
    return out;
  }
  Resolved r = resolve_at(root_fd, root, url_path, mount);
  ::close(root_fd);
  return r;
}

namespace {
// Without openat2 (Linux < 5.6): canonical paths, checked to stay under the canonical root.
Resolved resolve_canonical(const fs::path& root, std::string_view url_path,
                           std::string_view mount) {
  Resolved out;
  auto refuse = [&](Resolved::Kind k, std::string why) {
    out.kind = k;
    out.why = std::move(why);
    return std::move(out);
  };
  auto segments = segments_of(url_path, out);
  if (!segments) return out;
  std::error_code ec;
  fs::path canon_root = fs::canonical(root, ec);
  if (ec) return refuse(Resolved::Kind::not_found, "root missing");
  fs::path p = canon_root;
  for (const auto& s : *segments) p /= s;
  fs::path canon = fs::canonical(p, ec);
  if (ec) return refuse(Resolved::Kind::not_found, "no such file");
  if (!within(canon_root, canon))
    return refuse(Resolved::Kind::forbidden, "symlink leaves the root");
  if (fs::is_directory(canon, ec)) {
    if (!(url_path.empty() || url_path.back() == '/')) {
      out.kind = Resolved::Kind::redirect;
      out.location = std::string(mount).append(url_path).append("/");
      return out;
    }
    canon = fs::canonical(canon / "index.html", ec);
    if (ec) return refuse(Resolved::Kind::not_found, "no index.html");
    if (!within(canon_root, canon))
      return refuse(Resolved::Kind::forbidden, "symlink leaves the root");
  }
  sdk::RegularFile f = open_file(AT_FDCWD, canon.c_str(), false);
  if (!f) return refused(std::move(out), f, fs::relative(canon, canon_root, ec).string());
  take(out, std::move(f), canon);
  return out;
}
}  // namespace

std::string_view content_type(std::string_view file) {
  // Sorted by extension (lower case, without the dot), for a binary search without allocating.
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"avif", "image/avif"},
      {"bmp", "image/bmp"},
      {"css", "text/css; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"flac", "audio/flac"},
      {"gif", "image/gif"},
      {"htm", "text/html; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"ico", "image/x-icon"},
      {"jpeg", "image/jpeg"},
      {"jpg", "image/jpeg"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"m4a", "audio/mp4"},
      {"map", "application/json"},
      {"md", "text/markdown; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"mp3", "audio/mpeg"},
      {"mp4", "video/mp4"},
      {"ogg", "audio/ogg"},
      {"ogv", "video/ogg"},
      {"otf", "font/otf"},
      {"pdf", "application/pdf"},
      {"png", "image/png"},
      {"svg", "image/svg+xml"},
      {"ttf", "font/ttf"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
      {"wav", "audio/wav"},
      {"webm", "video/webm"},
      {"webp", "image/webp"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"xml", "application/xml"},
      {"zip", "application/zip"}};
  constexpr std::string_view kDefault = "application/octet-stream";
  // The extension as std::filesystem::path sees it: after the last '.' of the file name, unless
  // that dot starts the name (".profile" has none).
  const std::string_view name = file.substr(file.rfind('/') + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > 6) return kDefault;
  char ext[6];
  const std::size_t n = name.size() - dot - 1;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = name[dot + 1 + i];
    ext[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view key(ext, n);
  auto it = std::lower_bound(std::begin(kTypes), std::end(kTypes), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  return it != std::end(kTypes) && it->first == key ? it->second : kDefault;
}

std::string http_date(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<Validators> validators(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  return validators_of(static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec);
}

Validators validators_of(std::uint64_t size, std::int64_t sec, std::int64_t nsec) {
  // The HTTP date changes once a second at most: the last one is kept. (Plain statics: plugins
  // run on the host's one I/O thread, and thread_local in a dlopen'ed module trips
  // LeakSanitizer's scan of dynamic TLS at exit.)
  static std::int64_t cached_sec = -1;
  static std::string cached_date;
  Validators v;
  v.size = size;
  char buf[48];
  char* p = buf;
  *p++ = '"';
  p = std::to_chars(p, buf + 20, size, 16).ptr;  // 16 hex digits at most each
  *p++ = '-';
  p = std::to_chars(p, buf + 40,
                    static_cast<unsigned long long>(sec) * 1000000000ull +
                        static_cast<unsigned long long>(nsec),
                    16)
          .ptr;
  *p++ = '"';
  v.etag.assign(buf, p);
  if (sec != cached_sec) {
    cached_sec = sec;
    cached_date = http_date(sec);
  }
  v.last_modified = cached_date;
  return v;
}

bool not_modified(const Validators& v, const std::map<std::string, std::string>& headers) {
  if (auto it = headers.find("if-none-match"); it != headers.end()) {
    const std::string& h = it->second;
    if (h.find('*') != std::string::npos) return true;
    // A list of tags; W/ prefixes compare weakly (a GET may).
    size_t pos = 0;
    while ((pos = h.find('"', pos)) != std::string::npos) {
      size_t end = h.find('"', pos + 1);
      if (end == std::string::npos) break;
      if (h.compare(pos, end - pos + 1, v.etag) == 0) return true;
      pos = end + 1;
    }
    return false;
  }
  if (auto it = headers.find("if-modified-since"); it != headers.end()) {
    return it->second == v.last_modified;
  }
  return false;
}

namespace {
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only; a number past 2^64 saturates (it is past the end of any file all the same).
std::optional<std::uint64_t> range_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return v;
}

// One range-spec of RFC 9110 §14.1.1; nullopt when malformed.
std::optional<ByteRange> range_spec(std::string_view spec, std::uint64_t size) {
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  if (a.empty()) {  // the last N bytes; an empty file has none to give
    auto n = range_number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) {
      r.unsatisfiable = true;
      return r;
    }
    r.length = std::min(*n, size);
    r.offset = size - r.length;
    return r;
  }
  auto first = range_number(a);
  if (!first) return std::nullopt;
  auto last = b.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : range_number(b);
  if (!last || *last < *first) return std::nullopt;
  if (*first >= size) {
    r.unsatisfiable = true;
    return r;
  }
  r.offset = *first;
  r.length = std::min(*last, size - 1) - *first + 1;
  return r;
}
}  // namespace

std::optional<ByteRange> parse_range(const std::string& header, std::uint64_t size) {
  std::string_view h = trim_ows(header);
  constexpr std::string_view kUnit = "bytes=";
  if (h.size() < kUnit.size() || lower(std::string(h.substr(0, kUnit.size()))) != kUnit) {
    return std::nullopt;
  }
  h.remove_prefix(kUnit.size());
  std::optional<ByteRange> only;
  int specs = 0, satisfiable = 0;
  for (;;) {  // a list may hold empty elements (RFC 9110 §5.6.1)
    auto comma = h.find(',');
    if (std::string_view spec = trim_ows(h.substr(0, comma)); !spec.empty()) {
      auto r = range_spec(spec, size);
      if (!r) return std::nullopt;  // one malformed spec voids the header
      ++specs;
      if (!r->unsatisfiable) ++satisfiable, only = r;
    }
    if (comma == std::string_view::npos) break;
    h.remove_prefix(comma + 1);
  }
  if (specs == 0) return std::nullopt;
  if (satisfiable == 0) {
    ByteRange none;
    none.unsatisfiable = true;
    return none;
  }
  // Several ranges would need multipart/byteranges: the whole file is sent instead (allowed).
  if (specs > 1) return std::nullopt;
  return only;
}

const char* const kLiveReloadScript =
    "<script>/* openclaw-host canvas live reload */(()=>{"
    "const u=(location.protocol==='https:'?'wss://':'ws://')+location.host+'/__openclaw__/ws';"
    "let d=500;function c(){const s=new WebSocket(u);"
    "s.onopen=()=>{d=500};"
    "s.onmessage=e=>{let m;try{m=JSON.parse(e.data)}catch(_){return}"
    "if(m.type==='css'){for(const l of document.querySelectorAll('link[rel=stylesheet]')){"
    "const h=new URL(l.href);h.searchParams.set('_oc',Date.now());l.href=h.toString()}}"
    "else if(m.type==='reload'){location.reload()}};"
    "s.onclose=()=>{setTimeout(c,d);d=Math.min(d*2,10000)}}c()})();</script>";

std::string inject_live_reload(const std::string& html) {
  std::string l = lower(html);
  auto at = l.rfind("</body>");
  if (at == std::string::npos) return html + kLiveReloadScript;
  return html.substr(0, at) + kLiveReloadScript + html.substr(at);
}

}  // namespace canvas
