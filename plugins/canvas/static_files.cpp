#include "static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstring>
#include <ctime>
#include <vector>

namespace canvas {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One decoding pass; nullopt on a malformed escape.
std::optional<std::string> percent_decode(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
    i += 2;
  }
  return out;
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
    : kind(o.kind), file(std::move(o.file)), fd(o.release()), size(o.size),
      mtime_sec(o.mtime_sec), mtime_nsec(o.mtime_nsec), location(std::move(o.location)),
      why(std::move(o.why)) {}

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
  }
  return *this;
}

Resolved::~Resolved() {
  if (fd >= 0) ::close(fd);
}

namespace {

// The request path's segments after decoding, or the refusal.
std::optional<std::vector<std::string>> segments_of(const std::string& url_path, Resolved& out) {
  auto refuse = [&](Resolved::Kind k, std::string why) {
    out.kind = k;
    out.why = std::move(why);
    return std::nullopt;
  };
  if (url_path.find('\\') != std::string::npos) return refuse(Resolved::Kind::forbidden, "backslash");
  auto decoded = percent_decode(url_path);
  if (!decoded) return refuse(Resolved::Kind::bad_request, "malformed percent-encoding");
  std::string path = *decoded;
  if (path.find('\0') != std::string::npos) return refuse(Resolved::Kind::bad_request, "NUL byte");
  if (path.find('\\') != std::string::npos) return refuse(Resolved::Kind::forbidden, "encoded backslash");
  std::string l = lower(path);
  for (const char* twice : {"%2e", "%2f", "%5c", "%00", "%25"}) {
    if (l.find(twice) != std::string::npos) {
      return refuse(Resolved::Kind::forbidden, "double-encoded character");
    }
  }
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string seg = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg == "..") return refuse(Resolved::Kind::forbidden, "dot-dot segment");
    if (!seg.empty() && seg != ".") segments.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

int open_beneath(int root_fd, const std::string& rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
}

Resolved resolve_canonical(const fs::path& root, const std::string& url_path, const std::string& mount);

}  // namespace

Resolved resolve_at(int root_fd, const fs::path& root, const std::string& url_path,
                    const std::string& mount) {
  Resolved out;
  auto segments = segments_of(url_path, out);
  if (!segments) return out;
  std::string rel;
  for (const auto& s : *segments) rel += (rel.empty() ? "" : "/") + s;
  if (rel.empty()) rel = ".";
  auto fail = [&](int err) {
    if (err == ENOSYS) return resolve_canonical(root, url_path, mount);  // a kernel before 5.6
    out.kind = err == EXDEV || err == ELOOP || err == EACCES ? Resolved::Kind::forbidden
                                                             : Resolved::Kind::not_found;
    out.why = err == EXDEV ? "symlink leaves the root" : std::strerror(err);
    return std::move(out);
  };
  int fd = open_beneath(root_fd, rel);
  if (fd < 0) return fail(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(errno);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    if (!(url_path.empty() || url_path.back() == '/')) {
      out.kind = Resolved::Kind::redirect;
      out.location = mount + url_path + "/";
      return out;
    }
    rel += "/index.html";
    fd = open_beneath(root_fd, rel);
    if (fd < 0) return fail(errno);
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return fail(errno);
    }
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    out.kind = Resolved::Kind::not_found;
    out.why = "not a regular file";
    return out;
  }
  out.kind = Resolved::Kind::file;
  out.fd = fd;
  out.file = root / rel;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_sec = st.st_mtim.tv_sec;
  out.mtime_nsec = st.st_mtim.tv_nsec;
  return out;
}

Resolved resolve(const fs::path& root, const std::string& url_path, const std::string& mount) {
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
Resolved resolve_canonical(const fs::path& root, const std::string& url_path, const std::string& mount) {
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
  if (!within(canon_root, canon)) return refuse(Resolved::Kind::forbidden, "symlink leaves the root");
  if (fs::is_directory(canon, ec)) {
    if (!(url_path.empty() || url_path.back() == '/')) {
      out.kind = Resolved::Kind::redirect;
      out.location = mount + url_path + "/";
      return out;
    }
    canon = fs::canonical(canon / "index.html", ec);
    if (ec) return refuse(Resolved::Kind::not_found, "no index.html");
    if (!within(canon_root, canon)) return refuse(Resolved::Kind::forbidden, "symlink leaves the root");
  }
  if (!fs::is_regular_file(canon, ec)) return refuse(Resolved::Kind::not_found, "not a regular file");
  out.kind = Resolved::Kind::file;
  out.file = canon;
  out.fd = ::open(canon.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (out.fd < 0 || ::fstat(out.fd, &st) != 0) {
    out.kind = Resolved::Kind::not_found;
  } else {
    out.size = static_cast<std::uint64_t>(st.st_size);
    out.mtime_sec = st.st_mtim.tv_sec;
    out.mtime_nsec = st.st_mtim.tv_nsec;
  }
  return out;
}
}  // namespace

std::string content_type(const fs::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".map", "application/json"}, {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"}, {".csv", "text/csv; charset=utf-8"},
      {".xml", "application/xml"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
      {".webp", "image/webp"}, {".avif", "image/avif"}, {".ico", "image/x-icon"},
      {".bmp", "image/bmp"}, {".wasm", "application/wasm"}, {".pdf", "application/pdf"},
      {".zip", "application/zip"}, {".mp4", "video/mp4"}, {".webm", "video/webm"},
      {".ogv", "video/ogg"}, {".ogg", "audio/ogg"}, {".mp3", "audio/mpeg"},
      {".wav", "audio/wav"}, {".m4a", "audio/mp4"}, {".flac", "audio/flac"},
      {".woff", "font/woff"}, {".woff2", "font/woff2"}, {".ttf", "font/ttf"},
      {".otf", "font/otf"}};
  auto it = types.find(lower(file.extension().string()));
  return it == types.end() ? "application/octet-stream" : it->second;
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
  return validators_of(static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
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
                    static_cast<unsigned long long>(sec) * 1000000000ull + static_cast<unsigned long long>(nsec), 16)
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

std::optional<ByteRange> parse_range(const std::string& header, std::uint64_t size) {
  std::string h = header;
  h.erase(std::remove_if(h.begin(), h.end(), [](unsigned char c) { return std::isspace(c); }), h.end());
  if (h.rfind("bytes=", 0) != 0) return std::nullopt;
  std::string spec = h.substr(6);
  if (spec.empty() || spec.find(',') != std::string::npos) return std::nullopt;
  auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 19 ||
        !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    return std::stoull(s);
  };
  ByteRange r;
  if (a.empty()) {  // the last N bytes
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0) {
      r.unsatisfiable = true;
      return r;
    }
    r.length = std::min(*n, size);
    r.offset = size - r.length;
    return r;
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::optional<std::uint64_t> last = b.empty() ? std::optional<std::uint64_t>(size ? size - 1 : 0) : number(b);
  if (!last) return std::nullopt;
  if (*first >= size) {
    r.unsatisfiable = true;
    return r;
  }
  if (*last < *first) return std::nullopt;
  r.offset = *first;
  r.length = std::min(*last, size - 1) - *first + 1;
  return r;
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
