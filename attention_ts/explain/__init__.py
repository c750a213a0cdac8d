"""Does attention explain? Attention and saliency maps, attributions, localization scores,
the faithfulness tests of explanations, and the pictures of them.
"""
