# Table 3.5 'fully supervised (oracle)': masks of every class, class-specific FCN head; mechanism benchmark, A -> B (CPU
# preset).
# = mechanism_sw_oracle.py with end-to-end training.
_base_ = ['./mechanism_sw_oracle.py']

training = 'end2end'
