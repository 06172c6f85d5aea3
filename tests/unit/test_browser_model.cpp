// The browser plugin's pure logic: snapshot text and stable refs from an accessibility tree,
// the navigation (SSRF) policy, and key names.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "page_model.hpp"

namespace json = boost::json;
using namespace browser;

namespace {

// One node as Accessibility.getFullAXTree reports it.
json::object node(const std::string& id, const std::string& role, const std::string& name,
                  const std::vector<std::string>& kids, long long backend, json::array props = {}) {
  json::array k;
  for (auto& c : kids) k.push_back(json::value(c));
  json::object o{{"nodeId", id},
                 {"ignored", false},
                 {"role", {{"type", "role"}, {"value", role}}},
                 {"name", {{"type", "computedString"}, {"value", name}}},
                 {"childIds", k},
                 {"properties", props}};
  if (backend) o["backendDOMNodeId"] = backend;
  return o;
}

// A small page as Accessibility.getFullAXTree reports it.
json::array page(const std::string& button, bool focused_field, const std::string& value) {
  json::array nodes;
  nodes.push_back(node("1", "RootWebArea", "Test", {"2"}, 1));
  nodes.push_back(node("2", "generic", "", {"3", "5", "7", "9"}, 2));
  nodes[1].as_object()["parentId"] = "1";
  auto add = [&](json::object o, const std::string& parent) {
    o["parentId"] = parent;
    nodes.push_back(o);
  };
  add(node("3", "heading", "Title", {"4"}, 3,
           json::array{
               json::object{{"name", "level"}, {"value", {{"type", "integer"}, {"value", 1}}}}}),
      "2");
  add(node("4", "StaticText", "Title", {}, 4), "3");
  add(node("5", "button", button, {"6"}, 5), "2");
  add(node("6", "StaticText", button, {}, 6), "5");
  add(node("7", "paragraph", "", {"8"}, 7), "2");
  add(node("8", "StaticText", "status: idle", {}, 8), "7");
  json::array focus;
  if (focused_field) {
    focus.push_back(json::object{{"name", "focused"},
                                 {"value", {{"type", "booleanOrUndefined"}, {"value", true}}}});
  }
  json::object field = node("9", "textbox", "Your text", {"10"}, 9, focus);
  if (!value.empty()) field["value"] = json::object{{"type", "string"}, {"value", value}};
  add(field, "2");
  add(node("10", "generic", "", {}, 10), "9");  // the inner editor: never shown
  json::object ignored = node("11", "generic", "", {}, 11);
  ignored["ignored"] = true;
  add(ignored, "2");
  return nodes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(browser_model)

BOOST_AUTO_TEST_CASE(snapshot_renders_roles_names_text_and_refs) {
  RefTable refs;
  Snapshot s = render_snapshot(page("Click me", false, ""), refs);
  BOOST_TEST(s.text ==
             "- generic [ref=e1]:\n"
             "  - heading \"Title\" [level=1] [ref=e2]\n"
             "  - button \"Click me\" [ref=e3]\n"
             "  - paragraph [ref=e4]: \"status: idle\"\n"
             "  - textbox \"Your text\" [ref=e5]");
  BOOST_TEST(s.refs.size() == 5u);
  BOOST_TEST(s.refs.at("e3").at("role").as_string() == "button");
  BOOST_TEST(s.refs.at("e3").at("name").as_string() == "Click me");
  BOOST_TEST(!s.refs.at("e4").as_object().contains("name"));
  BOOST_TEST(s.interactive == 2);
  BOOST_TEST(s.lines == 5);
  BOOST_TEST(s.new_elements == 0);
  BOOST_TEST(refs.node_of("e3").value_or(0) == 5);
  BOOST_TEST(!refs.node_of("e99").has_value());
  // The readable text: every text run in order, the button's too (the tree shows it as its name).
  BOOST_TEST(s.readable == "Title\nClick me\nstatus: idle");
}

BOOST_AUTO_TEST_CASE(readable_text_keeps_whole_runs_within_its_limit) {
  json::array nodes;
  std::vector<std::string> kids;
  const std::string run(1000, 'x');
  for (int i = 0; i < 30; ++i) kids.push_back(std::to_string(i + 2));
  nodes.push_back(node("1", "RootWebArea", "", kids, 1));
  for (int i = 0; i < 30; ++i) {
    auto o = node(std::to_string(i + 2), "StaticText", run, {}, i + 2);
    o["parentId"] = "1";
    nodes.push_back(o);
  }
  RefTable refs;
  Snapshot s = render_snapshot(nodes, refs);
  BOOST_TEST(s.readable.size() <= Snapshot::kReadableLimit);
  BOOST_TEST(s.readable.size() == 19u * 1001 - 1);  // 19 whole runs and the 18 newlines between
}

BOOST_AUTO_TEST_CASE(refs_are_stable_and_changed_elements_are_new) {
  RefTable refs;
  render_snapshot(page("Click me", false, ""), refs);
  Snapshot again = render_snapshot(page("Click me", false, ""), refs);
  BOOST_TEST(again.new_elements == 0);
  BOOST_TEST(again.text.find("[new]") == std::string::npos);
  Snapshot changed = render_snapshot(page("Clicked!", true, "hello"), refs);
  BOOST_TEST(changed.new_elements == 1);
  BOOST_TEST(changed.text.find("- button \"Clicked!\" [ref=e6] [new]") != std::string::npos);
  BOOST_TEST(changed.text.find("- textbox \"Your text\" [active] [ref=e5]:\n    - text: hello") !=
             std::string::npos);
  BOOST_TEST(changed.text.find("1 new element(s) since last snapshot") != std::string::npos);
  // The old button's ref was issued but is not on the page any more.
  BOOST_TEST(refs.issued("e3"));
  BOOST_TEST(!refs.node_of("e3").has_value());
  BOOST_TEST(refs.node_of("e6").value_or(0) == 5);
  refs.reset();
  Snapshot fresh = render_snapshot(page("Clicked!", false, ""), refs);
  BOOST_TEST(fresh.new_elements == 0);
}

BOOST_AUTO_TEST_CASE(empty_tree_is_an_empty_snapshot) {
  RefTable refs;
  Snapshot s = render_snapshot(json::array{}, refs);
  BOOST_TEST(s.text.empty());
  BOOST_TEST(s.refs.empty());
  BOOST_TEST(s.lines == 0);
}

BOOST_AUTO_TEST_CASE(private_addresses) {
  for (const char* ip :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "::1", "::", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "[::1]"}) {
    BOOST_TEST(is_private_address(ip), ip);
  }
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888",
                         "example.com", "::ffff:8.8.8.8"}) {
    BOOST_TEST(!is_private_address(ip), ip);
  }
}

BOOST_AUTO_TEST_CASE(navigation_policy) {
  NavPolicy p;
  std::string host;
  BOOST_TEST(check_url(p, "https://example.com/x", &host).empty());
  BOOST_TEST(host == "example.com");
  BOOST_TEST(check_url(p, "about:blank", nullptr).empty());
  BOOST_TEST(check_url(p, "http://10.0.0.1/", nullptr).find("private-network") !=
             std::string::npos);
  BOOST_TEST(check_url(p, "http://localhost:8080/", nullptr).find("private") != std::string::npos);
  BOOST_TEST(check_url(p, "http://app.localhost/", nullptr).find("private") != std::string::npos);
  BOOST_TEST(check_url(p, "file:///etc/passwd", nullptr).find("not allowed") != std::string::npos);
  BOOST_TEST(check_url(p, "javascript:alert(1)", nullptr).find("http") != std::string::npos);
  BOOST_TEST(check_url(p, "not a url", nullptr).find("not an absolute") != std::string::npos);
  p.allowed = {"127.0.0.1", "*.corp.test"};
  BOOST_TEST(check_url(p, "http://127.0.0.1:9/", nullptr).empty());
  BOOST_TEST(check_addresses(p, "wiki.corp.test", {"10.0.0.5"}).empty());
  BOOST_TEST(!check_addresses(p, "evil.test", {"93.184.216.34", "10.0.0.5"}).empty());
  BOOST_TEST(check_addresses(p, "public.test", {"93.184.216.34"}).empty());
  p.blocked = {"*.ads.test"};
  BOOST_TEST(check_url(p, "https://x.ads.test/", nullptr).find("blockedHostnames") !=
             std::string::npos);
  BOOST_TEST(check_url(p, "https://ads.test/", nullptr).empty());  // "*." matches subdomains only
  p = {};
  p.allow_private = true;
  BOOST_TEST(check_url(p, "http://192.168.0.1/", nullptr).empty());
  BOOST_TEST(check_addresses(p, "x", {"10.0.0.1"}).empty());
}

BOOST_AUTO_TEST_CASE(keys) {
  BOOST_TEST(key_info("Enter")->key_code == 13);
  BOOST_TEST(key_info("Enter")->text == "\r");
  BOOST_TEST(key_info("a")->code == "KeyA");
  BOOST_TEST(key_info("7")->code == "Digit7");
  BOOST_TEST(key_info("ArrowDown")->key_code == 40);
  BOOST_TEST(!key_info("NoSuchKey").has_value());
  BOOST_TEST(!key_info("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
