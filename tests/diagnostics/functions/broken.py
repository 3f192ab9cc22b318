def equal(record)
    return {}
