# The mechanism preset without balancing ('person' removed as there): the other side of the claim that
# balancing the classes by downsampling helps Step 1.
_base_ = ['./mechanism.py']

labels = dict(balance_target=None)
