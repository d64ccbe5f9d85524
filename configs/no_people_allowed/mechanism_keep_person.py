# The mechanism preset with the 'person' labels kept (balancing as there): the other side of the claim that
# removing 'person' from the image labels helps Step 1.
_base_ = ['./mechanism.py']

labels = dict(remove_person=False)
