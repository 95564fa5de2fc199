"""The shipped catalogues (profiles, barrier kinds, facility categories, costs, survey
schema, registry mappings), installed as the package ``accessibility.data`` and read with
:mod:`accessibility.sources.catalogues`."""
