"""The classifiers: the BiLSTM with additive attention and the models it is compared with."""
