"""The one place for settings: paths, network timeouts, and the OSM tag vocabulary.

Values here are plain module attributes so a user (or a test) can change them at run
time, as with ``osmnx.settings``::

    from accessibility import settings
    settings.overpass_url = "http://127.0.0.1:8080/api"
"""

from __future__ import annotations

import os
from pathlib import Path

#: Shipped inputs: profiles, barrier taxonomy, templates.
data_dir: Path = Path(__file__).resolve().parent.parent / "data"

#: Where downloads are cached (one JSON file per request).
cache_dir: Path = Path(os.environ.get("ACCESSIBILITY_CACHE", Path.home() / ".cache" / "accessibility"))

#: Overpass API endpoint (``/interpreter`` is appended) and Nominatim for place names.
overpass_url: str = os.environ.get("ACCESSIBILITY_OVERPASS_URL", "https://overpass-api.de/api")
nominatim_url: str = os.environ.get("ACCESSIBILITY_NOMINATIM_URL", "https://nominatim.openstreetmap.org")

#: Seconds to wait for a connection before declaring the machine offline.
connect_timeout_s: float = 5.0
#: Seconds to wait for Overpass to answer once connected (it is slow on big areas).
read_timeout_s: float = 300.0
#: Overpass server-side time limit, in seconds.
overpass_timeout_s: int = 180
user_agent: str = "accessibility (Comune di Cremona barrier audit; https://www.openstreetmap.org/copyright)"

#: Version of the workspace folder layout; bumped when it changes incompatibly.
workspace_version: int = 1

# --- Which ways a pedestrian may use ----------------------------------------------------

#: Highway values a pedestrian may walk along (in both directions).
walkable_highways: frozenset[str] = frozenset({
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "track", "road", "corridor", "platform", "elevator", "bridleway",
})
#: Highway values walkable only with an explicit foot permission (Italian law keeps
#: pedestrians off cycleways and trunk roads unless signed otherwise).
walkable_if_foot_allowed: frozenset[str] = frozenset({"cycleway", "trunk", "trunk_link"})
#: ``foot=*`` values that allow walking.
foot_allowed: frozenset[str] = frozenset({"yes", "designated", "permissive", "official"})
#: ``foot=*`` values that forbid it.
foot_forbidden: frozenset[str] = frozenset({"no", "private", "use_sidepath"})
#: ``access=*`` values that forbid it unless ``foot`` allows.
access_forbidden: frozenset[str] = frozenset({"no", "private"})

# --- Which tags are kept on the graph ---------------------------------------------------

#: Way tags kept on edges (besides any key starting with a prefix below).
edge_tags: tuple[str, ...] = (
    "highway", "name", "footway", "sidewalk", "crossing", "step_count", "ramp",
    "ramp:wheelchair", "ramp:stroller", "handrail", "incline", "width", "est_width",
    "surface", "smoothness", "tactile_paving", "traffic_signals:sound",
    "traffic_signals:vibration", "wheelchair", "lit", "kerb", "kerb:height", "access",
    "foot", "service", "area", "bridge", "tunnel", "layer", "indoor", "level",
    "conveying", "elevator", "covered", "maxwidth",
)
#: Node tags kept on nodes (besides any key starting with a prefix below).
node_tags: tuple[str, ...] = (
    "highway", "kerb", "kerb:height", "barrier", "crossing", "tactile_paving",
    "traffic_signals", "traffic_signals:sound", "traffic_signals:vibration",
    "button_operated", "wheelchair", "entrance", "door", "elevator", "width", "maxwidth",
    "incline", "ramp", "ramp:wheelchair", "step_count", "name", "lit",
    "toilets:wheelchair", "access", "foot",
)
#: Keys beginning with one of these are kept too (``sidewalk:left:surface``, ``kerb:left``).
kept_tag_prefixes: tuple[str, ...] = (
    "sidewalk:", "kerb:", "crossing:", "ramp:", "tactile_paving:", "wheelchair:",
    "traffic_signals:", "handrail:",
)
#: A node with one of these keys is a point of interest for accessibility: the graph
#: keeps it as a node even in the middle of a way, so its tags are never merged away.
node_keys_that_matter: frozenset[str] = frozenset({
    "kerb", "kerb:height", "barrier", "crossing", "tactile_paving", "traffic_signals",
    "traffic_signals:sound", "wheelchair", "entrance", "door", "elevator", "width",
    "maxwidth", "incline", "ramp", "step_count",
})
node_highways_that_matter: frozenset[str] = frozenset({
    "crossing", "traffic_signals", "elevator", "steps", "stop",
})

# --- Routing ------------------------------------------------------------------------------

#: Farthest an origin or destination may lie from a usable edge, in metres; farther is
#: an error (the point is probably outside the city or mistyped).
snap_max_m: float = 200.0
#: Cost multiplier of an edge carrying a barrier that hinders the profile (soft cost:
#: passable, avoided when a reasonable detour exists; OpenTripPlanner's lesson).
hindering_factor: float = 2.0
#: A barrier on a node (a kerb, a bollard) costs as much as this many metres of path
#: times the factor above (hindering) or the profile's ``unknown_penalty`` (unknown).
node_barrier_m: float = 30.0
#: Incline limits at or above this many percent mean "no limit" (the ``walk`` profile).
no_incline_limit_pct: float = 100.0
#: Searches are first bounded at these multiples of the straight-line distance (a route
#: found within a bound is optimal, and small bounds settle few nodes); if the
#: destination is not reached within the last, the search is repeated without bound.
search_bounds: tuple[float, ...] = (1.6, 4.0)
