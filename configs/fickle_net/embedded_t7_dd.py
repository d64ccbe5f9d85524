# Table 7: training D, inference D (deterministic network, p = 0): the same network as embedded_p0.
_base_ = ['./embedded_p0.py']
