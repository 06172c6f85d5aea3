#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

#include "core/error.hpp"
#include "ports/lease_store.hpp"
#include "ports/plan.hpp"
#include "ports/port_choice.hpp"
#include "ports/port_map.hpp"
#include "support/harness.hpp"

using namespace openclaw;
using openclaw::test::value_of;
using namespace openclaw::ports;
namespace json = boost::json;

namespace {

json::object cfg(const char* text) {
  return json::parse(text).as_object();
}

Plan plan_for(int base, const char* config = "{}") {
  return make_plan(base, "gateway.port", standard_requests(cfg(config)));
}

// Processes that exist only in the test: pid -> start time.
class FakeProcesses final : public ProcessTable {
 public:
  std::map<int, std::uint64_t> alive;
  std::optional<std::uint64_t> start_time(int pid) const override {
    auto it = alive.find(pid);
    if (it == alive.end()) return std::nullopt;
    return it->second;
  }
  std::string name(int pid) const override { return "fake" + std::to_string(pid); }
};

// Ports that programs outside the registry hold.
class FakeProbe final : public PortProbe {
 public:
  std::set<int> busy;
  mutable int probes = 0;
  bool bindable(int port, const std::string&) const override {
    ++probes;
    return !busy.count(port);
  }
  std::string holder(int port) const override { return busy.count(port) ? "pid 812: nginx" : ""; }
  bool listening(int port) const override { return busy.count(port) > 0; }
};

Owner owner(const std::string& profile, int pid, std::uint64_t start, int base) {
  return Owner{profile, "/home/u/.openclaw-" + profile, pid, start, base};
}

std::string conflict_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 2);
    return e.line();
  }
  return "";
}

struct StoreFixture {
  test::TempDir dir;
  FakeProcesses procs;
  FakeProbe probe;
  LeaseStore store{dir.path() / "registry", "/home/u", procs, probe};
};

int port_of(const std::vector<Lease>& leases, const std::string& name) {
  for (const auto& l : leases) {
    if (l.name == name) return l.port;
  }
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(port_plan)

BOOST_AUTO_TEST_CASE(openclaw_derived_ports) {
  auto plan = plan_for(19001);
  BOOST_TEST(plan.find("gateway")->port == 19001);
  BOOST_TEST(plan.find("bridge")->port == 19002);
  BOOST_TEST(plan.find("bridge")->request.reserved);
  BOOST_TEST(plan.find("browser.control")->port == 19003);
  BOOST_TEST(plan.find("browser.control")->request.bind == "127.0.0.1");
  BOOST_TEST(plan.find("canvas")->port == 19005);
  const auto* cdp = plan.find("browser.cdp.openclaw");
  BOOST_TEST(cdp->is_range());
  BOOST_TEST(cdp->range_lo == 19003 + 9);
  BOOST_TEST(cdp->range_hi == 19003 + 108);
}

BOOST_AUTO_TEST_CASE(browser_control_stays_loopback_on_lan) {
  auto plan = plan_for(19001, R"({"gateway":{"bind":"lan"}})");
  BOOST_TEST(plan.find("gateway")->request.bind == "0.0.0.0");
  BOOST_TEST(plan.find("browser.control")->request.bind == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(config_overrides_and_remote_profiles) {
  auto plan = plan_for(19001, R"({"canvasHost":{"port":19500},
      "browser":{"profiles":{"work":{"cdpPort":19030},"remote":{"cdpUrl":"http://10.1.1.1:9222"}}}})");
  BOOST_TEST(plan.find("canvas")->port == 19500);
  BOOST_TEST(plan.find("canvas")->origin == "canvasHost.port");
  BOOST_TEST(plan.find("browser.cdp.work")->port == 19030);
  BOOST_TEST(plan.find("browser.cdp.remote") == nullptr);  // remote Chrome needs no local port
  BOOST_TEST(plan.find("browser.cdp.openclaw") != nullptr);
}

BOOST_AUTO_TEST_CASE(global_cdp_url_and_disabled_features_need_no_ports) {
  auto plan = plan_for(
      19001, R"({"browser":{"cdpUrl":"http://127.0.0.1:9222"},"canvasHost":{"enabled":false}})");
  BOOST_TEST(plan.find("browser.cdp.openclaw") == nullptr);
  BOOST_TEST(plan.find("canvas") == nullptr);
  auto off = plan_for(19001, R"({"browser":{"enabled":false}})");
  BOOST_TEST(off.find("browser.control") == nullptr);
  BOOST_TEST(off.find("browser.cdp.openclaw") == nullptr);
}

BOOST_AUTO_TEST_CASE(two_ports_of_one_instance_colliding_names_both_keys) {
  try {
    plan_for(19001, R"({"browser":{"profiles":{"x":{"cdpPort":19005}}}})");
    BOOST_FAIL("expected a collision");
  } catch (const Error& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 1);
    std::string m = e.what();
    BOOST_TEST(m.find("browser.profiles.x.cdpPort") != std::string::npos, m);
    BOOST_TEST(m.find("gateway.port + 4") != std::string::npos, m);
    BOOST_TEST(m.find("19005") != std::string::npos, m);
  }
  BOOST_CHECK_THROW(plan_for(19001, R"({"canvasHost":{"port":19001}})"), Error);
}

BOOST_AUTO_TEST_CASE(choose_base_avoids_every_derived_set) {
  auto always = [](int) { return true; };
  BOOST_TEST(value_of(choose_base(23592, {}, always)) == 23592);
  // rescue occupies 23532..23642: main's default 23592 overlaps, the nearest free base is above.
  std::vector<Interval> rescue{{23532, 23642, "rescue"}};
  BOOST_TEST(value_of(choose_base(23592, rescue, always)) == 23643);
  // Nearest below wins when closer.
  BOOST_TEST(value_of(choose_base(23500, rescue, always)) == 23421);
  // A single explicit port blocks every base whose span covers it.
  std::vector<Interval> one{{30050, 30050, "x"}};
  BOOST_TEST(value_of(choose_base(30000, one, always)) == 30051);
  // The usable() probe is honoured.
  BOOST_TEST(value_of(choose_base(30000, {}, [](int b) { return b != 30000; })) == 30001);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(lease_store, StoreFixture)

BOOST_AUTO_TEST_CASE(acquire_grants_the_whole_plan_and_release_frees_it) {
  procs.alive[100] = 1;
  auto leases = store.acquire(owner("main", 100, 1, 20000), plan_for(20000));
  BOOST_TEST(leases.size() == 5u);
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20011);
  auto all = store.list(false);
  BOOST_TEST(all.size() == 1u);
  BOOST_TEST(value_of(all[0].owner.profile) == "main");
  BOOST_TEST(store.release(owner("main", 100, 1, 20000)));
  BOOST_TEST(store.list(false).empty());
  BOOST_TEST(!store.release(owner("main", 100, 1, 20000)));
}

BOOST_AUTO_TEST_CASE(fixed_port_held_by_a_live_instance_is_refused_naming_it) {
  procs.alive[4121] = 7;
  procs.alive[200] = 9;
  store.acquire(owner("main", 4121, 7, 19001), plan_for(19001));
  // rescue at 18999: its canvas (19003) hits main's browser control.
  auto msg = conflict_of([&] { store.acquire(owner("rescue", 200, 9, 18999), plan_for(18999)); });
  BOOST_TEST(
      msg ==
      "port 19001 (browser.control) is held by profile \"main\" (pid 4121, ~/.openclaw-main)");
  // All or nothing: rescue holds nothing after the refusal.
  BOOST_TEST(store.list(false).size() == 1u);
}

BOOST_AUTO_TEST_CASE(dead_owner_is_reclaimed) {
  procs.alive[300] = 5;
  store.acquire(owner("main", 300, 5, 19001), plan_for(19001));
  procs.alive.erase(300);  // kill -9
  procs.alive[301] = 6;
  auto leases = store.acquire(owner("rescue", 301, 6, 19001), plan_for(19001));
  BOOST_TEST(port_of(leases, "gateway") == 19001);
  auto all = store.list(false);
  BOOST_TEST(all.size() == 1u);
  BOOST_TEST(all[0].owner.pid == 301);
}

BOOST_AUTO_TEST_CASE(reused_pid_with_another_start_time_is_reclaimed) {
  procs.alive[400] = 10;
  store.acquire(owner("main", 400, 10, 19001), plan_for(19001));
  procs.alive[400] = 99;  // same pid, a different process now
  procs.alive[401] = 11;
  BOOST_TEST(store.acquire(owner("rescue", 401, 11, 19001), plan_for(19001)).size() == 5u);
  auto listed = store.list(false);
  BOOST_TEST(listed.size() == 1u);
}

BOOST_AUTO_TEST_CASE(list_flags_and_prunes_stale_instances) {
  procs.alive[500] = 1;
  procs.alive[501] = 1;
  store.acquire(owner("a", 500, 1, 20000), plan_for(20000));
  store.acquire(owner("b", 501, 1, 21000), plan_for(21000));
  procs.alive.erase(500);
  auto seen = store.list(true);
  BOOST_TEST(seen.size() == 2u);
  int stale = 0;
  for (const auto& i : seen) stale += i.stale ? 1 : 0;
  BOOST_TEST(stale == 1);
  BOOST_TEST(store.list(false).size() == 1u);
}

BOOST_AUTO_TEST_CASE(snapshot_follows_every_write_and_checks_liveness_each_time) {
  procs.alive[500] = 1;
  procs.alive[501] = 1;
  store.acquire(owner("a", 500, 1, 20000), plan_for(20000));
  BOOST_TEST(store.snapshot().size() == 1u);
  // Another process's store (another object, same directory) writes: the next snapshot sees it.
  LeaseStore other{dir.path() / "registry", "/home/u", procs, probe};
  other.acquire(owner("b", 501, 1, 21000), plan_for(21000));
  auto both = store.snapshot();
  BOOST_REQUIRE(both.size() == 2u);
  BOOST_TEST(both[1].owner.profile.value_or("") == "b");
  BOOST_TEST(both[1].leases.size() == store.list(false)[1].leases.size());
  // A death changes no file: liveness is looked at on every snapshot, not cached with the parse.
  procs.alive.erase(500);
  int stale = 0;
  for (const auto& i : store.snapshot()) stale += i.stale ? 1 : 0;
  BOOST_TEST(stale == 1);
  other.release(owner("b", 501, 1, 21000));
  BOOST_TEST(store.snapshot().size() == 1u);  // a, stale (not pruned)
}

BOOST_AUTO_TEST_CASE(port_bound_by_another_program_is_refused) {
  probe.busy.insert(20004);
  procs.alive[600] = 1;
  auto msg = conflict_of([&] { store.acquire(owner("main", 600, 1, 20000), plan_for(20000)); });
  BOOST_TEST(msg == "port 20004 (canvas) is in use by another program (pid 812: nginx)");
  BOOST_TEST(store.list(false).empty());
}

BOOST_AUTO_TEST_CASE(range_ports_skip_held_ports_and_remember_choices) {
  procs.alive[700] = 1;
  procs.alive[701] = 1;
  // Another instance holds 20011 as its own fixed port; a program holds 20012.
  store.acquire(owner("other", 701, 1, 20011),
                make_plan(20011, "gateway.port", {standard_requests(cfg("{}"))[0]}));
  probe.busy.insert(20012);
  auto leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000));
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20013);
  // A remembered choice is taken again while it is free...
  store.release(owner("main", 700, 1, 20000));
  leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000),
                         {{"browser.cdp.openclaw", 20050}});
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20050);
  // ...and skipped when someone else holds it.
  store.release(owner("main", 700, 1, 20000));
  probe.busy.insert(20050);
  leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000),
                         {{"browser.cdp.openclaw", 20050}});
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20013);
  // A remembered port outside the range (the base moved) is ignored.
  store.release(owner("main", 700, 1, 20000));
  leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000),
                         {{"browser.cdp.openclaw", 30000}});
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20013);
}

BOOST_AUTO_TEST_CASE(two_range_ports_of_one_instance_differ) {
  procs.alive[800] = 1;
  auto leases = store.acquire(
      owner("main", 800, 1, 20000),
      plan_for(20000, R"({"browser":{"profiles":{"openclaw":{"cdpUrl":"http://h:1"}}}})"));
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 0);
  std::vector<sdk::PortRequest> reqs = standard_requests(cfg("{}"));
  auto extra = reqs.back();
  for (auto& r : reqs) {
    if (r.source == sdk::PortSource::range) extra = r;
  }
  extra.name = "browser.cdp.work";
  reqs.push_back(extra);
  store.release(owner("main", 800, 1, 20000));
  leases = store.acquire(owner("main", 800, 1, 20000), make_plan(20000, "gateway.port", reqs));
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20011);
  BOOST_TEST(port_of(leases, "browser.cdp.work") == 20012);
}

BOOST_AUTO_TEST_CASE(exhausted_range_is_a_conflict) {
  procs.alive[900] = 1;
  for (int p = 20011; p <= 20110; ++p) probe.busy.insert(p);
  auto msg = conflict_of([&] { store.acquire(owner("main", 900, 1, 20000), plan_for(20000)); });
  BOOST_TEST(msg.find("no free port for browser.cdp.openclaw in 20011..20110") == 0u, msg);
}

BOOST_AUTO_TEST_CASE(one_live_gateway_per_state_dir) {
  procs.alive[1000] = 1;
  procs.alive[1001] = 1;
  store.acquire(owner("main", 1000, 1, 20000), plan_for(20000));
  auto msg = conflict_of([&] { store.acquire(owner("main", 1001, 1, 21000), plan_for(21000)); });
  BOOST_TEST(
      msg.find("state dir ~/.openclaw-main is already served by profile \"main\" (pid 1000") == 0u,
      msg);
}

BOOST_AUTO_TEST_CASE(reacquire_by_the_same_owner_replaces_its_leases) {
  procs.alive[1100] = 1;
  store.acquire(owner("main", 1100, 1, 20000), plan_for(20000));
  store.acquire(owner("main", 1100, 1, 20000),
                plan_for(20000, R"({"canvasHost":{"enabled":false}})"));
  auto all = store.list(false);
  BOOST_TEST(all.size() == 1u);
  BOOST_TEST(all[0].find("canvas") == nullptr);
}

BOOST_AUTO_TEST_CASE(liveness_is_only_checked_for_instances_in_the_way) {
  // 100 unrelated instances: acquiring elsewhere does not consult their processes.
  for (int i = 0; i < 100; ++i) {
    procs.alive[2000 + i] = 1;
    std::string name = "p";  // appended: "p" + to_string trips g++ 12's -Wrestrict at -O3
    name += std::to_string(i);
    store.acquire(owner(name, 2000 + i, 1, 30000 + i * 200), plan_for(30000 + i * 200));
  }
  procs.alive.clear();  // every one of them "dies"; none is in the way of the next plan
  procs.alive[3000] = 1;
  store.acquire(owner("new", 3000, 1, 20000), plan_for(20000));
  BOOST_TEST(store.list(false).size() == 101u);  // nothing reclaimed needlessly...
  BOOST_TEST(store.list(true).size() == 101u);   // ...until a listing prunes them
  BOOST_TEST(store.list(false).size() == 1u);
}

BOOST_AUTO_TEST_CASE(corrupt_store_is_set_aside_not_fatal) {
  procs.alive[1200] = 1;
  std::filesystem::create_directories(dir.path() / "registry");
  std::filesystem::permissions(dir.path() / "registry", std::filesystem::perms(0700));
  test::write_file(dir.path() / "registry" / "leases", "{ not json");
  BOOST_TEST(store.acquire(owner("main", 1200, 1, 20000), plan_for(20000)).size() == 5u);
  BOOST_TEST(std::filesystem::exists(dir.path() / "registry" / "leases.corrupt"));
}

BOOST_AUTO_TEST_CASE(registry_writable_by_others_is_refused) {
  std::filesystem::create_directories(dir.path() / "registry");
  std::filesystem::permissions(dir.path() / "registry", std::filesystem::perms(0777));
  procs.alive[1300] = 1;
  try {
    store.acquire(owner("main", 1300, 1, 20000), plan_for(20000));
    BOOST_FAIL("expected an error");
  } catch (const Error& e) {
    BOOST_TEST(e.line().find("writable by group or others") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ephemeral_range_rules)

BOOST_AUTO_TEST_CASE(the_range_comes_from_the_override_else_the_kernel) {
  auto r = ephemeral_range(std::string("20000-30000"));
  BOOST_TEST(r.lo == 20000);
  BOOST_TEST(r.hi == 30000);
  BOOST_TEST(r.contains(20000));
  BOOST_TEST(!r.contains(30001));
  BOOST_TEST(r.meets(19900, 20000));
  BOOST_TEST(!r.meets(19000, 19999));
  // A malformed override is ignored: the kernel's range (or Linux's default) answers.
  auto kernel = ephemeral_range(std::nullopt);
  for (const char* bad : {"30000-20000", "abc", "0-70000", ""}) {
    auto fallback = ephemeral_range(std::string(bad));
    BOOST_TEST(fallback.lo == kernel.lo, bad);
    BOOST_TEST(fallback.hi == kernel.hi, bad);
  }
  BOOST_TEST(kernel.lo >= 1);
  BOOST_TEST(kernel.lo <= kernel.hi);
}

BOOST_AUTO_TEST_CASE(a_base_whose_span_meets_the_range_is_warned_about) {
  const PortRange eph{32768, 60999};
  BOOST_TEST(ephemeral_base_warning(23532, "default", eph, std::string("rescue")).empty());
  BOOST_TEST(ephemeral_base_warning(32657, "--port", eph, std::nullopt).empty());
  // 32658 + 110 = 32768: the last derived port is the range's first.
  auto edge = ephemeral_base_warning(32658, "--port", eph, std::nullopt);
  BOOST_TEST(edge.find("ports 32658..32768") != std::string::npos, edge);
  auto work = ephemeral_base_warning(41984, "default", eph, std::string("work"));
  BOOST_TEST(work.find("base port 41984 (the profile's default)") != std::string::npos, work);
  BOOST_TEST(work.find("ephemeral port range 32768\u201360999") != std::string::npos, work);
  BOOST_TEST(work.find("`openclaw-host --profile work setup` picks one") != std::string::npos,
             work);
}

BOOST_AUTO_TEST_CASE(choose_base_treats_the_range_as_occupied) {
  auto always = [](int) { return true; };
  std::vector<Interval> eph{{32768, 60999, "ephemeral"}};
  // work's default 41984: the nearest base whose span ends below 32768.
  BOOST_TEST(value_of(choose_base(41984, eph, always)) == 32657);
  BOOST_TEST(value_of(choose_base(59000, eph, always)) == 61000);
}

BOOST_FIXTURE_TEST_CASE(range_leases_prefer_ports_outside_the_range, StoreFixture) {
  procs.alive[700] = 1;
  // The CDP range of base 20000 is 20011..20110; pretend 20000..20080 is ephemeral.
  store.set_ephemeral_range({20000, 20080});
  auto leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000));
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20081);
  // With the whole range inside, a port inside is still granted (an explicit base's choice).
  store.set_ephemeral_range({20000, 20200});
  leases = store.acquire(owner("main", 700, 1, 20000), plan_for(20000));
  BOOST_TEST(port_of(leases, "browser.cdp.openclaw") == 20011);
}

// The choice alone, on rows as a store holds them and no file: an "any" port keeps out of a live
// instance's derived span and off a port a program holds; a dead instance in the way is reclaimed
// (its row marked to drop) and its fixed port taken.
BOOST_AUTO_TEST_CASE(port_choice_without_files) {
  FakeProcesses procs;
  FakeProbe probe;
  procs.alive[500] = 7;  // profile "main", live; pid 600 ("old") is gone
  std::vector<std::string> lines = {
      record::to_line(InstanceLeases{owner("main", 500, 7, 30000),
                                     {{"gateway", 30000, "127.0.0.1", sdk::PortSource::offset, 1}},
                                     false,
                                     {}}),
      record::to_line(InstanceLeases{owner("old", 600, 9, 0),
                                     {{"gateway", 31000, "127.0.0.1", sdk::PortSource::config, 1}},
                                     false,
                                     {}})};
  std::vector<record::Row> rows;
  for (const auto& l : lines) rows.push_back(*record::scan_line(l));
  ChoiceRules rules{PortRange{40000, 60999}, PortRange{30000, 30200}, {}, "/home/u"};
  probe.busy.insert(30111);  // a program outside the registry
  Owner me = owner("rescue", 700, 3, 0);
  PortChoice choice(rows, me, rules, procs, probe);
  BOOST_TEST(!choice.own_row().has_value());
  auto planned = [](const char* name, sdk::PortSource source, int port) {
    PlannedPort p;
    p.request.name = name;
    p.request.source = source;
    p.port = port;
    return p;
  };
  Plan plan;
  plan.ports.push_back(planned("gateway", sdk::PortSource::config, 31000));
  plan.ports.push_back(planned("kv", sdk::PortSource::any, 0));
  auto granted = choice.choose(plan, {}, nullptr, 42);
  BOOST_TEST_REQUIRE(granted.size() == 2u);
  BOOST_TEST(granted[0].port == 31000);
  BOOST_TEST(granted[1].port == 30112);  // past main's span (30000..30110) and the busy 30111
  BOOST_TEST(granted[1].granted_at_ms == 42);
  BOOST_TEST(rows[1].drop);   // the dead holder of 31000, reclaimed
  BOOST_TEST(!rows[0].drop);  // main is alive
  Plan clash;
  clash.ports.push_back(planned("other", sdk::PortSource::config, 30000));
  PortChoice again(rows, me, rules, procs, probe);
  BOOST_TEST(conflict_of([&] {
               again.choose(clash, {}, nullptr, 0);
             }).find("held by profile \"main\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(port_map_svg)

// Names come from the disk (a state dir may be called anything): escaped, never markup.
BOOST_AUTO_TEST_CASE(names_are_escaped_and_far_apart_instances_get_a_window_each) {
  openclaw::ports::PortMap map;
  map.title = "t";
  map.ephemeral = {32768, 60999};
  openclaw::ports::MapInstance a;
  a.name = "</text><script>x</script>&\"\x01";
  a.base = 20000;
  a.state = "running";
  a.ports = {{"gateway", 20000}, {"canvas", 20004}};
  openclaw::ports::MapInstance b;
  b.name = "far";
  b.base = 40000;
  b.state = "stopped";
  b.ports = {{"gateway", 40000}};
  map.instances = {a, b};
  map.rescue_view["far"] = "crashed";
  std::string svg = openclaw::ports::render_svg(map);
  BOOST_TEST(svg.find("<script>") == std::string::npos);
  BOOST_TEST(svg.find("&lt;/text&gt;&lt;script&gt;x&lt;/script&gt;&amp;&quot;") !=
             std::string::npos);
  BOOST_TEST(svg.find('\x01') == std::string::npos);
  // Two windows (20000.. and 40000..), with the ephemeral range shaded only in the second.
  BOOST_TEST(svg.find(">19992<") != std::string::npos, svg);
  BOOST_TEST(svg.find(">39992<") != std::string::npos, svg);
  BOOST_TEST(svg.find("class=\"ephemeral\"") != std::string::npos);
  BOOST_TEST(svg.find("rescue bot: crashed") != std::string::npos);
  BOOST_TEST(svg.find("conflict") == std::string::npos);  // nothing shared
}

BOOST_AUTO_TEST_SUITE_END()
