"""Interventions, their exact impact, and the budgeted ranking: what to fix first.

- :mod:`~accessibility.planning.interventions`: what fixing each barrier means and costs;
- :mod:`~accessibility.planning.impact`: who gains an accessible route from a fix;
- :mod:`~accessibility.planning.ranking`: the greedy plan funded within a budget;
- :mod:`~accessibility.planning.lenses`: the weights a council sees and changes;
- :mod:`~accessibility.planning.programme`: the plan over the years, under each year's budget.
"""

from accessibility.planning.impact import Gain, Planner, apply_fixes, people_passing, reach_figures
from accessibility.planning.interventions import CostTable, candidates, load_cost_table, quantity_of
from accessibility.planning.lenses import Lens, load_lenses
from accessibility.planning.ranking import Plan, fund, greedy, plan

__all__ = [
    "CostTable",
    "Gain",
    "Lens",
    "Plan",
    "Planner",
    "apply_fixes",
    "candidates",
    "fund",
    "greedy",
    "load_cost_table",
    "load_lenses",
    "people_passing",
    "plan",
    "quantity_of",
    "reach_figures",
]
