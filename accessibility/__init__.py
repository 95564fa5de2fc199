"""accessibility: accessible routes, barrier surveys and intervention plans for a city.

>>> from accessibility import City  # doctest: +SKIP
>>> city = City.build(osm=["Helsinki.osm.pbf"])  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from accessibility.city import City
from accessibility.errors import AccessibilityError

try:
    __version__ = version("accessibility")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["AccessibilityError", "City", "__version__"]
