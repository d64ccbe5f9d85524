"""Class-agnostic mask proposals for the methods that pick masks from proposals.

PRM ("Weakly Supervised Instance Segmentation using Class Peak Response", CVPR 2018, arXiv:1804.00880)
retrieves, for each peak response map, the proposal that agrees with it best; Deep Community Learning
("Weakly Supervised Instance Segmentation by Deep Community Learning", WACV 2021, arXiv:2001.11207) replaces
masks by the best-matching proposals. Both papers use MCG proposals on real data; here they come from files
(:func:`load_proposal_file`) or are computed with OpenCV contrib (:func:`mask_proposals`), cached per image
(:class:`ProposalStore`), served to a run as its config names them (:class:`ProposalSource`), and checked
against ground truth (:func:`best_overlap_recall`).
See ``docs/proposals.md``.
"""
from .files import load_proposal_file, pack_masks, save_proposal_file, unpack_masks
from .generators import DEFAULT_OPTIONS, mask_proposals, resolve_options
from .recall import best_overlap_recall, best_overlaps, mask_iou_matrix
from .source import ProposalSource, masks_to_boxes, proposal_folder
from .store import ProposalStore

__all__ = [
    "DEFAULT_OPTIONS", "ProposalSource", "ProposalStore", "best_overlap_recall", "best_overlaps",
    "load_proposal_file", "mask_iou_matrix", "mask_proposals", "masks_to_boxes", "pack_masks", "proposal_folder",
    "resolve_options", "save_proposal_file", "unpack_masks",
]
