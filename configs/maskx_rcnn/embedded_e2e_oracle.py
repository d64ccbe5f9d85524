# Table 3.5 'fully supervised (oracle)': masks of every class, class-specific FCN head; embedded benchmark, A -> B (CPU
# preset).
# = embedded_sw_oracle.py with end-to-end training.
_base_ = ['./embedded_sw_oracle.py']

training = 'end2end'
