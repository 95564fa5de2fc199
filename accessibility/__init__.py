"""accessibility: accessible routes, barrier surveys and intervention plans for a city.

>>> from accessibility import City  # doctest: +SKIP
>>> city = City.build(osm=["Helsinki.osm.pbf"])  # doctest: +SKIP
"""

from accessibility.city import City
from accessibility.errors import AccessibilityError

__version__ = "0.1.0"
__all__ = ["City", "AccessibilityError", "__version__"]
