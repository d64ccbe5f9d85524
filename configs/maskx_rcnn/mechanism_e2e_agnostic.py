# Table 3.4 'class-agnostic, e2e' = Table 3.5 'class-agnostic'; mechanism benchmark, A -> B (CPU preset).
# = mechanism_sw_agnostic.py with end-to-end training.
_base_ = ['./mechanism_sw_agnostic.py']

training = 'end2end'
