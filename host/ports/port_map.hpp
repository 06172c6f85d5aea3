#pragma once
// A picture of the machine's ports: one strip per instance along the port axis, its ports and
// derived span drawn, the kernel's ephemeral range shaded, shared ports and overlapping spans
// marked, stale leases greyed, and a rescue bot's view of who is up. Pure: the data in, an SVG
// document out (the status page shows it, `ports --all --svg FILE` writes it).

#include <map>
#include <string>
#include <vector>

#include "ports/system.hpp"

namespace openclaw::ports {

struct MapPort {
  std::string name;
  int port = 0;
};

struct MapInstance {
  std::string name;            ///< "main", "default", a state dir
  int base = 0;                ///< 0: unknown (its config does not resolve)
  std::string state;           ///< running, stopped, stale
  bool self = false;           ///< the instance whose page (or CLI) draws the map
  std::vector<MapPort> ports;  ///< fixed ports and the leased choices
  int cdp_lo = 0, cdp_hi = 0;  ///< its CDP range (0: none)
};

struct PortMap {
  std::string title;
  std::vector<MapInstance> instances;
  PortRange ephemeral;
  /// What a rescue bot says of each instance it watches: name -> up, crashed, hung, ...
  std::map<std::string, std::string> rescue_view;
};

/// The map as a standalone SVG document. Every instance is a `<g class="instance" data-name
/// data-base data-state>`, each port a `<rect class="port" data-port data-name>`, a shared port
/// `class="conflict"`, an overlap of spans `class="overlap"`, the ephemeral range
/// `class="ephemeral"`; every text is XML-escaped.
std::string render_svg(const PortMap& map);

}  // namespace openclaw::ports
