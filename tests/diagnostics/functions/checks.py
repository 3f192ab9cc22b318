# A function file for the golden diagnostics of `python` steps.
def equal(record):
    return {"same": record["predicted"] == record["answer"]}


def helper(x):
    return x
