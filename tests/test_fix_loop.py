"""The fix loop on Helsinki, as the Disability Manager runs it: plan, a surveyor reports
the first funded intervention fixed at the coordinates the plan's export gives, the
report is verified and fixed, the city is audited again, and the gain the plan promised
appears."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner

from accessibility import City
from accessibility.cli import main
from accessibility.i18n import _, use_language
from conftest import copy_workspace

PROFILES = ["manual_wheelchair", "walker"]
CATS = ["pharmacy", "sports", "library"]
RESIDENTS = 650_000


def reached(city: City) -> dict[tuple[str, str], float]:
    audit = city.audit(residents=RESIDENTS, profiles=PROFILES, categories=CATS, distances_m=[1000])
    return {(r.profile, r.category): r.residents_reached for r in audit.reach.itertuples()}


@pytest.mark.slow
def test_reported_fixed_at_the_plans_coordinates_the_promised_gain_appears(helsinki_workspace, tmp_path):
    ws = copy_workspace(helsinki_workspace, tmp_path / "ws")
    out = tmp_path / "piano"
    args = ["--lang", "it", "plan", "--city", str(ws), "--budget", "100000", "--residents", str(RESIDENTS)]
    args += ["--profiles", ",".join(PROFILES), "--categories", ",".join(CATS)]
    args += ["-o", f"{out}.csv", "--xlsx", f"{out}.xlsx", "--gpkg", f"{out}.gpkg", "--threshold-m", "1000"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output

    # the first funded intervention with a gain, as the spreadsheet gives it
    sheet = openpyxl.load_workbook(f"{out}.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    with use_language("it"):
        code_h, lat_h, lon_h, funded_h = _("Barrier code"), _("Latitude"), _("Longitude"), _("Funded")
        yes = _("yes")
    head = list(rows[0])
    first = next(dict(zip(head, r)) for r in rows[1:] if r[head.index(funded_h)] == yes)
    code, lat, lon = first[code_h], first[lat_h], first[lon_h]
    assert code.startswith("osm-") and isinstance(lat, float) and isinstance(lon, float)

    # the CSV and the GeoPackage give the same code and position
    assert f"{code};" in (out.with_suffix(".csv")).read_text(encoding="utf-8-sig")
    layer = pyogrio.read_dataframe(f"{out}.gpkg", layer="plan")
    mine = layer[layer["barrier_id"] == code].iloc[0]
    assert (mine["lat"], mine["lon"]) == pytest.approx((lat, lon), abs=1e-7)

    city = City.load(ws)
    plan = city.plan(100_000, residents=RESIDENTS, profiles=PROFILES, categories=CATS, threshold_m=1000)
    promised = plan.table[plan.table["barrier_id"] == code].iloc[0]
    assert int(promised["rank"]) == 1 and promised["people_total"] > 0
    kind = promised["kind"]
    before = reached(city)

    # a surveyor standing there reports it fixed: "gradini" (or the kind's Italian label)
    with use_language("it"):
        from accessibility.surveys.schema import kind_label

        said = "gradini" if kind == "steps" else kind_label(kind)
    survey = tmp_path / "rilievo.csv"
    survey.write_text(
        f"tipo;latitudine;longitudine;data_rilievo\n{said};{lat:.7f};{lon:.7f};01/03/2025\n", encoding="utf-8"
    )
    (report,) = city.import_surveys(survey, surveyor="Anna", today=dt.date(2025, 3, 2)).accepted
    city.review_survey(report, "verified", by="Bruno")
    in_force = city.barriers
    assert code not in set(in_force["barrier_id"])  # replaced, not doubled
    assert (in_force["replaces"] == code).sum() == 1
    city.review_survey(report, "planned", by="Bruno")
    city.review_survey(report, "fixed", by="Carla", note="rampa")
    assert code not in set(city.barriers["barrier_id"]) and not (city.barriers["replaces"] == code).any()

    after = reached(city)
    for p in PROFILES:
        for c in CATS:
            assert after[p, c] - before[p, c] == pytest.approx(promised[f"people_{p}_{c}"], abs=1e-6), (p, c)
    assert sum(after.values()) - sum(before.values()) == pytest.approx(promised["people_total"], abs=1e-6)
