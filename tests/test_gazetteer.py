"""Place search: exact answers on a tiny made-up town, invariants on Helsinki."""

from __future__ import annotations

import random

import pytest

from accessibility import City
from accessibility.model.gazetteer import find_places, normalise, split_number
from accessibility.sources.osm import read_osm

FOOT = {"highway": "footway"}


@pytest.fixture
def town(osm_file, tmp_path) -> City:
    """Four streets on the default grid (nodes 8 m apart), one of them in two stretches
    900 m apart, a square, addresses, a pharmacy and a pool."""
    ways = [
        (1, [101, 102, 103, 104, 105], {"highway": "residential", "name": "Via Dante Alighieri"}),
        (2, [105, 205, 305, 405], {"highway": "residential", "name": "Corso Garibaldi"}),
        (3, [405, 406, 407, 408], {"highway": "residential", "name": "Viale Po"}),
        (4, [408, 508, 608], {"highway": "pedestrian", "name": "Piazza del Comune"}),
        # a second stretch of Via Dante Alighieri, far away (nodes 90.. on row 120: ~1 km north)
        (5, [608, 12008], {"highway": "footway"}),
        (6, [12008, 12009, 12010], {"highway": "residential", "name": "Via Dante Alighieri"}),
        (7, [700, 701, 702, 703, 700], {"place": "square", "name": "Piazza Sant'Agata"}),
        (8, [801, 802, 803, 804, 801], {"building": "yes", "addr:street": "Corso Garibaldi", "addr:housenumber": "12"}),
    ]
    nodes = {
        901: {"addr:street": "Via Dante Alighieri", "addr:housenumber": "3"},
        902: {"addr:street": "Via Dante Alighieri", "addr:housenumber": "5b"},
        903: {"amenity": "pharmacy", "name": "Farmacia Centrale"},
        904: {"leisure": "swimming_pool", "name": "Piscina Comunale"},
        905: {"amenity": "cafe", "name": "Caffè della Libertà"},
    }
    path = osm_file(ways, nodes)
    return City.build(osm=[path], name="Borgo")


def search(city: City, text: str, limit: int = 5) -> list[dict]:
    return city.search(text, limit, lang="it")


def labels(results: list[dict]) -> list[tuple[str, str]]:
    return [(r["kind"], r["label"]) for r in results]


def test_normalise_and_numbers() -> None:
    assert normalise("P.zza Sant'Agata") == "piazza sant agata"
    assert normalise("C.so Garibaldi") == "corso garibaldi"
    assert normalise("v.Dante") == "via dante"
    assert normalise("V.LE PO") == "viale po"
    assert normalise("Caffè della Libertà") == "caffe della liberta"
    assert split_number("corso garibaldi 12") == ("corso garibaldi", "12")
    assert split_number("3 via dante") == ("via dante", "3")
    assert split_number("via 20 settembre") == ("via 20 settembre", None)


def test_places_layer(town: City, tmp_path) -> None:
    places = town.places
    kinds = sorted(places["kind"])
    assert kinds == ["address", "address", "address", "poi", "poi", "poi", "square"]
    # kept by save and load
    town.save(tmp_path / "ws")
    again = City.load(tmp_path / "ws")
    assert sorted(again.places["kind"]) == kinds
    assert set(again.places["name"]) == set(places["name"])


def test_streets_abbreviations_typos_accents(town: City) -> None:
    assert labels(search(town, "via dante alighieri"))[:2] == [
        ("street", "Via Dante Alighieri"),
        ("street", "Via Dante Alighieri"),
    ], "two stretches 1 km apart are two answers"
    for typed in ("v. Dante", "V.Dante Alighieri", "via dnate alighieri", "dante"):
        assert labels(search(town, typed))[0] == ("street", "Via Dante Alighieri"), typed
    assert labels(search(town, "c.so garibaldi"))[0] == ("street", "Corso Garibaldi")
    assert labels(search(town, "v.le po"))[0] == ("street", "Viale Po")
    assert labels(search(town, "p.zza del comune"))[0] == ("street", "Piazza del Comune")
    assert labels(search(town, "p.zza s. agata"))[0] == ("square", "Piazza Sant'Agata")
    assert labels(search(town, "caffe della liberta"))[0] == ("poi", "Caffè della Libertà")


def test_house_numbers(town: City) -> None:
    first = search(town, "via dante 5b")[0]
    assert (first["kind"], first["label"]) == ("address", "Via Dante Alighieri 5b")
    node = read_osm_position(town, 902)
    assert (first["lat"], first["lon"]) == pytest.approx(node, abs=1e-7)
    assert labels(search(town, "c.so garibaldi 12"))[0] == ("address", "Corso Garibaldi 12")
    # a number that does not exist: the street is still found
    assert labels(search(town, "corso garibaldi 99"))[0] == ("street", "Corso Garibaldi")


def read_osm_position(city: City, nid: int) -> tuple[float, float]:
    from conftest import node_position

    lon, lat = node_position(nid)
    return lat, lon


def test_facilities_and_nearest(town: City) -> None:
    first = search(town, "farmacia centrale")[0]
    assert (first["kind"], first["label"], first["category"]) == ("facility", "Farmacia Centrale", "pharmacy")
    nearest = search(town, "farmacia")
    assert ("nearest", "Farmacia") in labels(nearest)
    pool = next(r for r in search(town, "piscina") if r["kind"] == "nearest")
    assert pool["destination"] == "swimming_pool"
    route = town.nearest((45.13, 10.0201), pool["destination"])
    assert route.facility["name"] == "Piscina Comunale"
    with pytest.raises(Exception, match="unknown facility category"):
        town.nearest((45.13, 10.0201), "sauna")


def test_empty_and_noise(town: City) -> None:
    assert search(town, "") == []
    assert search(town, "   ") == []
    assert search(town, "zzqx") == []


def test_find_places_from_osm(osm_file) -> None:
    path = osm_file(
        [(1, [1, 2, 3, 1], {"place": "square", "name": "Piazza Roma"})],
        {4: {"addr:street": "Via Roma", "addr:housenumber": "1"}},
    )
    places = find_places(read_osm(path), "EPSG:32632")
    assert sorted(zip(places["kind"], places["name"], places["street"])) == [
        ("address", "", "Via Roma"),
        ("square", "Piazza Roma", ""),
    ]


def test_helsinki_street_names_are_found(helsinki_city: City) -> None:
    names = sorted({d["name"] for _, _, d in helsinki_city.network.edges(data=True) if isinstance(d.get("name"), str)})
    assert len(names) > 50
    rnd = random.Random(4)
    sample = rnd.sample(names, 60)
    exact = sum(search(helsinki_city, n)[0]["label"] == n for n in sample)
    assert exact == len(sample), "every street is found by its own name"
    # one letter dropped in the middle: still among the first three answers
    typo_found = 0
    for n in sample:
        if len(n) < 7:
            typo_found += 1
            continue
        k = len(n) // 2
        typed = n[:k] + n[k + 1 :]
        typo_found += n in [r["label"] for r in search(helsinki_city, typed, 3)]
    assert typo_found >= 0.9 * len(sample)
    addresses = helsinki_city.places[helsinki_city.places["kind"] == "address"]
    assert len(addresses) > 100
    row = addresses.iloc[0]
    hit = search(helsinki_city, f"{row['street']} {row['housenumber']}")[0]
    assert hit["kind"] == "address" and hit["label"] == f"{row['street']} {row['housenumber']}"
