"""The one place for settings: paths, network timeouts, and the OSM tag vocabulary.

Values here are plain module attributes so a user (or a test) can change them at run
time, as with ``osmnx.settings``::

    from accessibility import settings
    settings.overpass_url = "http://127.0.0.1:8080/api"
"""

from __future__ import annotations

import os
from pathlib import Path

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
walkable_highways: frozenset[str] = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "road",
        "corridor",
        "platform",
        "elevator",
        "bridleway",
    }
)
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

#: The accessibility tags of the guide (section 2): kept wherever they appear, on edges
#: (from the way) and on nodes.
accessibility_tags: tuple[str, ...] = (
    "highway",
    "step_count",
    "ramp",
    "ramp:wheelchair",
    "ramp:stroller",
    "handrail",
    "kerb",
    "kerb:height",
    "incline",
    "width",
    "est_width",
    "maxwidth",
    "surface",
    "smoothness",
    "sidewalk",
    "footway",
    "crossing",
    "traffic_signals",
    "traffic_signals:sound",
    "traffic_signals:vibration",
    "button_operated",
    "tactile_paving",
    "wheelchair",
    "barrier",
    "lit",
    "elevator",
    "door",
    "entrance",
    "toilets:wheelchair",
    "conveying",
)
#: Other way tags kept on edges: names, access, and what routing needs to describe a way.
edge_tags: tuple[str, ...] = accessibility_tags + (
    "name",
    "access",
    "foot",
    "service",
    "area",
    "bridge",
    "tunnel",
    "layer",
    "indoor",
    "level",
    "covered",
)
#: Other node tags kept on nodes.
node_tags: tuple[str, ...] = accessibility_tags + ("name", "access", "foot")
#: Keys beginning with one of these are kept too (``sidewalk:left:surface``, ``kerb:left``).
kept_tag_prefixes: tuple[str, ...] = (
    "sidewalk:",
    "kerb:",
    "crossing:",
    "ramp:",
    "tactile_paving:",
    "wheelchair:",
    "traffic_signals:",
    "handrail:",
)
#: A node with one of these keys is a point of interest for accessibility: the graph
#: keeps it as a node even in the middle of a way, so its tags are never merged away.
node_keys_that_matter: frozenset[str] = frozenset(
    {
        "kerb",
        "kerb:height",
        "barrier",
        "crossing",
        "tactile_paving",
        "traffic_signals",
        "traffic_signals:sound",
        "wheelchair",
        "entrance",
        "door",
        "elevator",
        "width",
        "maxwidth",
        "incline",
        "ramp",
        "step_count",
    }
)
node_highways_that_matter: frozenset[str] = frozenset(
    {
        "crossing",
        "traffic_signals",
        "elevator",
        "steps",
        "stop",
    }
)

# --- Population ---------------------------------------------------------------------------

#: Streets people live on: residents are spread over their length (see population.py).
residential_highways: frozenset[str] = frozenset(
    {
        "residential",
        "living_street",
        "pedestrian",
        "unclassified",
        "tertiary",
        "secondary",
        "primary",
    }
)

# --- Survey reports ---------------------------------------------------------------------

#: File name of the survey store inside a workspace folder (a GeoPackage).
survey_store_name: str = "surveys.gpkg"
#: Version of the survey store schema; bumped when it changes. An older store is brought
#: up to date when it is opened (:mod:`accessibility.surveys.store` adds the new columns).
survey_store_version: int = 4
#: Seconds an import or review waits for another one to finish writing the store.
survey_lock_timeout_s: float = 60.0
#: A facility sheet survey without the facility's element names the nearest facility
#: within this many metres of its position.
survey_facility_m: float = 100.0
#: A point-like report (kerb, crossing) snaps to a graph node at most this far, in metres.
survey_snap_node_m: float = 5.0
#: Any report snaps to the nearest edge at most this far; farther is "off network".
survey_snap_edge_m: float = 15.0
#: A GPS fix less precise than this, in metres (as the phone reports it), is flagged for
#: review: the report may lie on the wrong side of a street or on another path.
survey_gps_poor_m: float = 10.0
#: Largest survey table read out of a zip export, in bytes (its photos are read one by one).
survey_max_zip_table_bytes: int = 500 * 1024 * 1024
#: Reports of the same kind closer than this, in metres, are flagged for review.
survey_near_duplicate_m: float = 5.0
#: Survey dates before this year are taken for typing errors.
survey_oldest_year: int = 1990
#: CRSs a survey file may use for x/y or lat/lon columns (EPSG codes).
survey_crs: frozenset[int] = frozenset({4326, 32632, 3003, 6707, 7791})
#: Files besides those a build writes that a workspace keeps when it is saved again.
workspace_kept_files: tuple[str, ...] = ("surveys.gpkg",)
#: Folders a workspace keeps when it is saved again: the dated snapshots of the audit and
#: the adopted programme (their history is the yearly report's; a rebuild must not lose it).
workspace_kept_folders: tuple[str, ...] = ("snapshots", "programme", "photos")
#: Folder of the dated snapshots inside a workspace, and the version of their layout.
snapshots_folder: str = "snapshots"
snapshot_version: int = 1
#: Folder of the adopted programme inside a workspace.
programme_folder: str = "programme"

# --- Photos of survey reports ---------------------------------------------------------------

#: Folder of the survey photos inside a workspace (``photos/ab/abcd….jpg``, named by the
#: SHA-256 of the stored file).
photos_folder: str = "photos"
#: Largest photo file accepted, in bytes (a phone photo is 2-8 MB; HEIC less).
photo_max_bytes: int = 25 * 1024 * 1024
#: Most pixels an image may declare (decompression-bomb guard: a small file claiming a
#: huge picture would take gigabytes to decode). 60 MP is over any phone camera's.
photo_max_pixels: int = 60_000_000
#: Longest side of a stored photo, in pixels: larger ones are scaled down (enough to
#: read a kerb or a sign on a sheet, and a tenth of the size of a phone's original).
photo_max_side_px: int = 2560
#: JPEG quality of a stored photo (Pillow's scale, 1-95).
photo_jpeg_quality: int = 85

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
#: A facility mapped as an area without entrances is reached at network points near
#: its outline, sampled every this many metres along it.
outline_step_m: float = 10.0
#: An entrance or facility point this close to a path (metres) lies on it: it is reached
#: through the network alone, never by a straight stretch from another path.
facility_on_path_m: float = 0.5
#: A facility point off the network is joined to the nearest path and to any other path
#: at most this much farther (metres): each is a way in, judged for the profile.
facility_way_in_slack_m: float = 2.0
#: Disabled parking (``amenity=parking`` with ``capacity:disabled``, ``parking_space=disabled``)
#: this close to a facility (metres, straight line) is its parking on the facility sheet.
facility_parking_radius_m: float = 150.0
#: A router builds its contraction hierarchy after this many routes (the build costs
#: about as much as a few thousand plain routes: one-off queries should not pay it).
hierarchy_after: int = 500
#: The workspace folder where prepared routers keep their contraction hierarchies and hub
#: labels (a service started again reads them instead of building them for minutes).
hierarchies_folder: str = "routers"
#: Hierarchies kept there at most (the least recently used go first): every profile's,
#: for a few barrier tables (a barrier reviewed changes the costs, and so the key).
hierarchies_kept: int = 24

# --- Places ---------------------------------------------------------------------------------

#: A barrier, intervention or facility is named after the nearest named street (and the
#: nearest cross street) within this many metres (see ``model/places.py``).
place_search_m: float = 150.0

# --- Audit ----------------------------------------------------------------------------------

#: Distance thresholds of the audit, in metres (who reaches the nearest facility within).
audit_distances_m: tuple[float, ...] = (500.0, 1000.0)
#: Time threshold of the audit, in minutes: converted to metres with each profile's speed.
audit_minutes: tuple[float, ...] = (15.0,)
#: Circumradius of the audit's hexagon cells, in metres.
audit_hex_size_m: float = 250.0
#: Residents spread over the network when no population table is given (the shares do
#: not depend on it; the counts then only say "per this many residents").
audit_default_residents: float = 10000.0
#: An area score is 100 for residents within the first distance threshold of the nearest
#: facility on an accessible route, 0 beyond the last, linear in between.
audit_score_full_m: float = 500.0
audit_score_zero_m: float = 1000.0
#: Walking distances shorter than this (metres) are left out of detour ratios: next to a
#: facility a ratio says nothing.
audit_detour_min_m: float = 50.0
#: Categories whose every facility gets its own reach figure (residents within the first
#: threshold, per profile) in the audit's ``usability`` table: one extra search per
#: facility and profile, so only for the categories a report has a chapter on (the
#: mandate's sports facilities).
audit_facility_detail_categories: tuple[str, ...] = ("sports",)


# --- Audit and planning -------------------------------------------------------------------

#: Reach threshold of the plan, in metres on an accessible route (the audit's default).
plan_threshold_m: float = 1000.0
#: A pocket of network with at most this many nodes, reached through a barrier, is
#: searched for the other barriers that only matter together with it (see planning.py).
plan_pocket_nodes: int = 200
#: At most this many partners (nearest first) are tried in pairs with a candidate.
plan_pair_partners: int = 12

# --- Web application ------------------------------------------------------------------------

#: Longest a web request may compute, in seconds, before it is answered 503.
web_request_timeout_s: float = 10.0
#: Longest place search text, in characters.
web_query_max_chars: int = 200
#: Most minutes a walkshed may ask for.
web_reach_max_minutes: float = 30.0
#: Most features one facilities or barriers answer holds (ask with a smaller bbox).
web_max_features: int = 5000

# --- Accounts and the office's pages (web application, part 2) ---------------------------

#: Wrong passwords in a row after which an account is locked for ``login_lock_s``.
login_max_failures: int = 5
#: Seconds an account stays locked after ``login_max_failures`` wrong passwords.
login_lock_s: float = 900.0
#: Seconds a session cookie stays valid after login (a working day).
session_max_age_s: int = 12 * 3600
#: Shortest password an account may have, in characters.
password_min_chars: int = 10
#: Most photos one report sent through the web may carry.
web_photos_per_report: int = 3
#: Largest survey file accepted by the batch upload page, in bytes.
web_upload_max_bytes: int = 20 * 1024 * 1024
#: Largest report sent through the web (its photos included), in bytes: a larger request
#: is refused from its declared length, before any of it is read.
web_report_max_bytes: int = 32 * 1024 * 1024
