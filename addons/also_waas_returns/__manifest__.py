{
    "name": "ALSO WaaS Returns",
    "summary": "End-of-contract returns: self-return or secure pickup, certified data wiping",
    "version": "18.0.1.0.0",
    "development_status": "Beta",
    "category": "Sales/Sales",
    "website": "https://www.also.com",
    "author": "ALSO WaaS team",
    "license": "LGPL-3",
    "depends": ["also_waas"],
    "data": [],
    "demo": [],
    "installable": True,
}
