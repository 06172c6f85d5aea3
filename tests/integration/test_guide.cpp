// The multiple-gateways guide, followed as a reader follows it: every `sh` block of
// docs/multiple-gateways.md runs in order with bash, in one fresh HOME, the built openclaw-host
// first on PATH; and its translations keep the same blocks in their own words.
// The convention for guide blocks is in docs/development.md ("Guides that run").
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <boost/test/unit_test.hpp>

#include <openclaw/sdk/run_history.hpp>

#include "support/harness.hpp"

using namespace openclaw::test;

namespace {

const fs::path kDocs = fs::path(OPENCLAW_SOURCE_DIR) / "docs";
const fs::path kGuide = kDocs / "multiple-gateways.md";
const fs::path kGuideCn = kDocs / "zh-CN" / "multiple-gateways.md";
const fs::path kGuideTw = kDocs / "zh-TW" / "multiple-gateways.md";

struct Fence {
  std::string info;  // what follows the opening ```: "sh", "text"
  std::string body;
  int line = 0;  // of the opening fence, for messages
};

struct Page {
  std::vector<Fence> fences;
  std::string prose;  // everything outside the fences, inline code spans blanked out
};

// Fences open at the start of a line with ``` and close with a line of ``` alone, as every doc
// of this repository writes them.
Page parse(const std::string& text) {
  Page page;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  std::optional<Fence> open;
  while (std::getline(in, line)) {
    ++number;
    if (open) {
      if (line == "```") {
        page.fences.push_back(*open);
        open.reset();
      } else {
        open->body += line + "\n";
      }
    } else if (line.rfind("```", 0) == 0) {
      open = Fence{line.substr(3), "", number};
    } else {
      page.prose += std::regex_replace(line, std::regex("`[^`]*`"), " ") + "\n";
    }
  }
  BOOST_TEST_REQUIRE(!open.has_value(), "a fence opened at line " << open->line << " never closes");
  return page;
}

Page parse_file(const fs::path& path) {
  BOOST_TEST_REQUIRE(fs::is_regular_file(path), path);
  return parse(read_file(path));
}

bool runs(const Fence& f) {
  return f.info == "sh" || f.info.rfind("sh ", 0) == 0;
}

std::string first_line(const Fence& f) {
  return f.body.substr(0, f.body.find('\n'));
}

// Calls `each(position, length, port)` for every run of exactly five digits in `text` that is a
// port number: the guide's ports (18789, 19789, ...) are all five digits.
template <typename F>
void for_each_port(const std::string& text, F&& each) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 5) {
      int port = std::stoi(text.substr(i, 5));
      if (port >= 10000 && port <= 65535) each(i, std::size_t{5}, port);
    }
    i = j;
  }
}

// The guide's own ports (18789, 19789, ...) may be anybody's on this machine. Each group of
// them, a port and every port up to 110 above it (one instance's derived span), moves to a block
// of ports this test leases, offsets kept: so base + 2 stays base + 2 and an overlap the guide
// shows stays an overlap.
class PortMap {
 public:
  explicit PortMap(const std::vector<Fence>& fences) {
    std::set<int> ports;
    for (const auto& f : fences) {
      if (runs(f)) for_each_port(f.body, [&](std::size_t, std::size_t, int p) { ports.insert(p); });
    }
    for (auto it = ports.begin(); it != ports.end();) {
      const int first = *it;
      int last = first;
      for (; it != ports.end() && *it - first <= 110; ++it) last = *it;
      blocks_.push_back(std::make_unique<PortBlock>(std::max(120, last - first + 111)));
      for (int p : ports) {
        if (p >= first && p <= last) to_[p] = blocks_.back()->base() + (p - first);
      }
    }
  }
  bool empty() const { return to_.empty(); }
  std::string apply(std::string text) const {
    std::vector<std::tuple<std::size_t, std::size_t, int>> hits;
    for_each_port(text, [&](std::size_t at, std::size_t n, int p) { hits.emplace_back(at, n, p); });
    std::reverse(hits.begin(), hits.end());  // back to front: positions ahead stay valid
    for (const auto& [at, n, p] : hits) text.replace(at, n, std::to_string(to_.at(p)));
    return text;
  }
  std::string describe() const {
    std::string out;
    for (const auto& [from, to] : to_)
      out += " " + std::to_string(from) + "->" + std::to_string(to);
    return out;
  }

 private:
  std::vector<std::unique_ptr<PortBlock>> blocks_;
  std::map<int, int> to_;
};

// A gateway a block leaves behind, even one a failing block never reached `kill` for, is found
// by the state-dir lock it holds (not by a pid file that may be stale) and stopped by pid.
std::vector<std::string> stop_leftover_gateways(const fs::path& home) {
  std::vector<std::string> stopped;
  std::error_code ec;  // also runs from a destructor: never throws
  for (const auto& e : fs::directory_iterator(home, ec)) {
    if (!e.is_directory(ec) || e.path().filename().string().rfind(".openclaw", 0) != 0) continue;
    const int pid = openclaw::sdk::serving_pid(e.path());
    if (pid <= 0) continue;
    ::kill(pid, SIGTERM);
    if (!poll_until([&] { return openclaw::sdk::serving_pid(e.path()) != pid; }, 10s)) {
      ::kill(pid, SIGKILL);
      poll_until([&] { return openclaw::sdk::serving_pid(e.path()) != pid; }, 10s);
    }
    stopped.push_back(e.path().filename().string() + " (pid " + std::to_string(pid) + ")");
  }
  return stopped;
}

struct GatewaySweep {
  fs::path home;
  ~GatewaySweep() { stop_leftover_gateways(home); }
};

// The prose of a translation whose words are checked: without its first line, which names each
// language in its own script (简体中文, 繁體中文).
std::string vocabulary(const fs::path& path) {
  const std::string prose = parse_file(path).prose;
  return prose.substr(prose.find('\n') + 1);
}

std::string line_with(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto begin = text.rfind('\n', at);
  const auto from = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(from, text.find('\n', at) - from);
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> characters(const std::string& utf8) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t n = 1;
    while (i + n < utf8.size() && (static_cast<unsigned char>(utf8[i + n]) & 0xC0) == 0x80) ++n;
    out.push_back(utf8.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(guide)

BOOST_AUTO_TEST_CASE(every_sh_block_of_the_multiple_gateways_guide_runs_in_order_in_one_home) {
  const Page page = parse_file(kGuide);
  const auto sh_blocks = std::count_if(page.fences.begin(), page.fences.end(), runs);
  // A parser that found nothing would pass every check below.
  BOOST_TEST_REQUIRE(sh_blocks >= 5, "only " << sh_blocks << " sh blocks found in " << kGuide);

  Sandbox sb;
  // What a reader's install has: the bundled plugins, so plans, checks and the rescue bot are
  // the real ones.
  bundle_plugins(sb, {"browser", "canvas", "irc", "rescue", "telegram", "webhook"});
  const fs::path bin = sb.home().parent_path() / "bin";
  fs::create_directories(bin);
  fs::create_symlink(host_binary(), bin / "openclaw-host");
  auto env = sb.env();
  env["PATH"] = bin.string() + ":" + env["PATH"];
  // No service manager: `gateway install` writes its unit into this HOME and prints the
  // commands, and never reaches the user systemd of the machine running the tests.
  env["OPENCLAW_SYSTEMCTL"] = (sb.home().parent_path() / "no-systemctl").string();
  const PortMap ports(page.fences);
  BOOST_TEST_REQUIRE(!ports.empty(), "the guide's blocks name no port");
  // A plugin asking for "any free port" takes one this test holds too.
  const PortBlock plugin_block(40);
  env["OPENCLAW_PLUGIN_PORT_RANGE"] = plugin_ports(plugin_block, 0);
  BOOST_TEST_MESSAGE("ports:" << ports.describe());

  GatewaySweep sweep{sb.home()};
  int ran = 0;
  for (std::size_t i = 0; i < page.fences.size(); ++i) {
    const Fence& f = page.fences[i];
    if (!runs(f)) continue;
    const std::string where =
        "multiple-gateways.md:" + std::to_string(f.line) + " `" + first_line(f) + "`";
    const fs::path script = sb.home().parent_path() / ("block-" + std::to_string(i) + ".sh");
    // As in a terminal: a reader starts at home; the first failing command stops the block.
    write_file(script, "set -euo pipefail\ncd \"$HOME\"\n" + ports.apply(f.body));
    Child bash({"/bin/bash", script.string()}, env, sb.home().parent_path());
    const auto code = bash.wait(60s);
    if (!code) ::kill(bash.pid(), SIGKILL);
    const auto leftovers = stop_leftover_gateways(sb.home());
    const std::string said = "\n--- stdout\n" + bash.out() + "--- stderr\n" + bash.err() +
                             "--- ports" + ports.describe();
    BOOST_TEST_REQUIRE(
        code == std::optional<int>(0),
        where << " exited " << (code ? std::to_string(*code) : "(no exit in 60 s)") << said);
    BOOST_TEST_REQUIRE(leftovers.empty(),
                       where << " left a gateway running: "
                             << (leftovers.empty() ? std::string() : leftovers.front()) << said);
    ++ran;
  }
  BOOST_TEST(ran >= 5);
}

// Only the prose is translated: a reader of any language types the same commands, and the test
// above proves them once for all three.
BOOST_AUTO_TEST_CASE(the_translations_have_the_same_blocks_in_their_own_words) {
  const Page en = parse_file(kGuide);
  for (const auto& path : {kGuideCn, kGuideTw}) {
    const Page zh = parse_file(path);
    BOOST_TEST_REQUIRE(zh.fences.size() == en.fences.size(), path);
    for (std::size_t i = 0; i < en.fences.size(); ++i) {
      BOOST_TEST(zh.fences[i].info == en.fences[i].info,
                 path << ":" << zh.fences[i].line << " block " << i);
      BOOST_TEST(zh.fences[i].body == en.fences[i].body,
                 path << ":" << zh.fences[i].line << " block " << i << " differs from English line "
                      << en.fences[i].line);
    }
  }

  // Taiwan's words, not the mainland's: neither simplified characters nor mainland terms
  // written in traditional ones (連接埠 not 端口, 設定 not 設置, 預設 not 默認, 伺服器 not 服務器).
  const std::string tw = vocabulary(kGuideTw);
  const std::vector<std::string> mainland_terms{
      "端口", "配置文件", "默認",   "默认", "文件夾", "文件夹", "服務器", "服务器",
      "信息", "運行",     "运行",   "程序", "支持",   "網絡",   "网络",   "進程",
      "用戶", "數據",     "接口",   "鏈接", "緩存",   "設置",   "創建",   "調試",
      "內存", "線程",     "命令行", "插件", "令牌",   "渠道",   "軟件",   "視頻"};
  const std::string simplified =
      "网关设连档预认务运这个们为说时实种录启动错误开监从发过对还进让没号图线试检机条项获览软单显态"
      "径变应该数据执储写读问题门间户无与节总类须处级";
  for (const auto& word : concat(mainland_terms, characters(simplified))) {
    BOOST_TEST(!contains(tw, word),
               "zh-TW prose has the mainland " << word << ": " << line_with(tw, word));
  }

  // And the mainland's in zh-CN: no traditional characters, no Taiwan terms.
  const std::string cn = vocabulary(kGuideCn);
  const std::vector<std::string> taiwan_terms{
      "連接埠", "连接埠", "設定檔", "设定档", "伺服器", "程式", "檔案", "档案", "資料夾", "资料夹",
      "網路",   "网路",   "訊息",   "讯息",   "支援",   "預設", "预设", "外掛", "外挂",   "軟體",
      "软体",   "記憶體", "记忆体", "執行緒", "执行绪", "專案", "专案", "快取", "權杖",   "权杖"};
  const std::string traditional =
      "閘關設連檔預認務運這個們為說時實種錄啟動錯誤開監從發過對還進讓沒號圖線試檢機條項獲覽軟單顯態"
      "徑變應該數據執儲寫讀問題門間戶無與節總類須處級";
  for (const auto& word : concat(taiwan_terms, characters(traditional))) {
    BOOST_TEST(!contains(cn, word),
               "zh-CN prose has the Taiwan " << word << ": " << line_with(cn, word));
  }
}

BOOST_AUTO_TEST_CASE(each_language_links_the_other_two_at_the_top_and_every_link_resolves) {
  const std::vector<fs::path> pages{kGuide, kGuideCn, kGuideTw};
  for (const auto& page : pages) {
    const std::string text = read_file(page);
    const std::string top = text.substr(0, text.find('\n'));
    for (const auto& other : pages) {
      if (other == page) continue;
      const std::string link = "](" + fs::relative(other, page.parent_path()).string() + ")";
      BOOST_TEST(contains(top, link), page << " does not start with a link to " << other);
    }
    // Links to the other docs from docs/zh-*/ need their ../; a wrong one is found here.
    const std::string prose = parse(text).prose;
    const std::regex link_re(R"(\]\(([^)\s]+)\))");
    int relative = 0;
    for (std::sregex_iterator it(prose.begin(), prose.end(), link_re), end; it != end; ++it) {
      std::string target = (*it)[1];
      if (target.find("://") != std::string::npos || target[0] == '#') continue;
      target = target.substr(0, target.find('#'));
      BOOST_TEST(fs::exists(page.parent_path() / target), page << " links " << target);
      ++relative;
    }
    BOOST_TEST(relative >= 5, page);
  }
  const std::string readme = read_file(fs::path(OPENCLAW_SOURCE_DIR) / "README.md");
  for (const char* link : {"](docs/multiple-gateways.md)", "](docs/zh-CN/multiple-gateways.md)",
                           "](docs/zh-TW/multiple-gateways.md)"}) {
    BOOST_TEST(contains(readme, link), "README.md lacks " << link);
  }
}

BOOST_AUTO_TEST_SUITE_END()
