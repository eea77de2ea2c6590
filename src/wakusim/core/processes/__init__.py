"""The monthly processes (MODEL.md section 3), one module each, in schedule order.

1 policy (:mod:`wakusim.core.policy`), 2 expectations (:mod:`wakusim.core.market`),
3 :mod:`.companies`, 4 :mod:`.choice`, 5 :mod:`.trade`, 6 :mod:`.enforcement`,
7 :mod:`.learning`, 8 :mod:`.accounting`.
"""
