"""Callbacks that make a framework's training loop a greentune model (docs/python.md):

    from greentune.integrations.huggingface import GreentuneCallback   # transformers.Trainer
    from greentune.integrations.lightning import GreentuneCallback     # Lightning Trainer

Each meters every epoch (and every evaluation at an epoch's end) and, inside
``greentune study`` / ``greentune tune``, reports each epoch with ``greentune.report``:
the epoch, the evaluation metric the user names, the epoch's window. A non-finite training
loss marks the run diverged and stops training. Outside a study the epochs' energy goes to
the framework's log. Neither transformers nor lightning is a dependency of greentune: each
submodule imports its framework when it is imported and says what to install when it is
missing.
"""
