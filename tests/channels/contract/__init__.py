"""Contract test classes, one per kind of channel part (webhook, polling intake, sender), written once and
subclassed in each channel's test folder (tests/channels/<channel>/test_contract.py)."""
