#!/usr/bin/env python3
"""Sample leads for examples/enterprise/policy.handoff (stdlib only).

Usage: gen.py N [--seed S] [--now ISO8601]

Prints N Salesforce-style Lead records as NDJSON, each merged with the
account it matched (`account`), the ABM engagement roll-up (`engagement`,
`context`) and the CRM's SLA stamps (`sla`). Same N, seed and now give the
same bytes. The file in this folder was made with

    python3 gen.py 200 --seed 11 > leads.ndjson

Deliberate messiness, as real exports have it:
  * picklists set to "--None--" or "Select", free text set to "N/A"
  * fields absent, or present as null
  * numbers as strings ("1,200", "$12.5M"), a bool as the string "true"
  * Country as free text ("USA", "US", "United States ", "UK")
  * a few records with timestamps in the REST API's "+0000" form, not "Z"
  * one LastModifiedDate in the future (clock skew in the sync)
  * several leads per account: a buying committee
"""
import json
import random
import string
import sys
from datetime import datetime, timedelta, timezone

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)

FIRST = ["Kristen", "Betty", "Bertha", "Ermin", "Lorrie", "Serena", "Amara", "Jonas", "Ines",
         "Rahul", "Keiko", "Olu", "Freya", "Marco", "Hannah", "Diego", "Sanne", "Wei", "Leila",
         "Patrick", "Noor", "Stefan", "Camille", "Tomás", "Yuki", "Grace", "Henrik", "Zanele"]
LAST = ["Akin", "Bair", "Boxer", "Skitral", "Geratt", "Patterfield", "Okafor", "Lindqvist",
        "Moreau", "Iyer", "Sato", "Adeyemi", "Hughes", "Bianchi", "Schulz", "Romero", "de Vries",
        "Chen", "Haddad", "O'Neill", "Farouk", "Brandt", "Lefèvre", "Ortega", "Tanaka", "Walsh"]
TITLES_CFO = ["Chief Financial Officer", "CFO", "VP, Finance", "VP Finance", "Finance Director",
              "Financial Controller"]
TITLES_CIO = ["CIO", "Chief Information Officer", "CTO", "VP, IT", "VP Information Technology",
              "Head of IT"]
TITLES_OTHER = ["Director of Procurement", "Procurement Manager", "VP Sales Operations",
                "Director, Revenue Operations", "Head of Customer Success", "IT Manager",
                "Senior Buyer", "Marketing Director", "COO", "Director, Warehouse Mgmt",
                "VP, Administration"]
INDUSTRIES = ["Banking", "Manufacturing", "Technology", "Healthcare", "Energy", "Retail",
              "Insurance", "Telecommunications", "Transportation", "Government", "Agriculture"]
COUNTRIES = {
    "NA": [("USA", "+1"), ("US", "+1"), ("United States", "+1"), ("united states ", "+1"),
           ("Canada", "+1"), ("CA", "+1")],
    "EMEA": [("United Kingdom", "+44"), ("UK", "+44"), ("GB", "+44"), ("Germany", "+49"),
             ("France", "+33"), ("Netherlands", "+31"), ("Sweden", "+46"), ("Ireland", "+353")],
    "APAC": [("Japan", "+81"), ("Australia", "+61"), ("Singapore", "+65")],
    "LATAM": [("Brazil", "+55"), ("Mexico", "+52")],
}
US_STATES = ["IL", "NY", "CA", "TX", "VA", "PA", "FL", "WA", "MA", "GA"]
NAMES_A = ["Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Tyrell",
           "Cyberdyne", "Aperture", "Oscorp", "Nordwind", "Bluefjord", "Kestrel", "Halcyon",
           "Meridian", "Farmers Coop.", "American Banking", "Aethna", "Hettinger", "Braun-Murray",
           "Skitral", "Blackwood", "Sterling", "Pinnacle", "Northwind", "Contoso", "Fabrikam",
           "Litware", "Adatum", "Proseware", "Tailspin", "Wingtip", "Woodgrove", "Lucerne",
           "Fourth Coffee", "Margie's Travel", "Trey Research", "Alpine Ski", "Coho Winery"]
NAMES_B = ["Corporation", "Group", "Holdings", "Inc.", "plc", "GmbH", "Ltd", "Systems",
           "Industries", "Bank", "Energy", "Health", "Logistics", "Insurance"]
ACT_KINDS = ["web_visit", "web_visit", "email_open", "email_open", "email_click",
             "content_download", "webinar_attended", "event_attended", "ad_click",
             "demo_request", "meeting_request", "contact_sales"]
SUBJECTS = {
    "web_visit": ["/pricing", "/platform/security", "/customers/banking", "/roi-calculator"],
    "email_open": ["Q2 executive briefing", "ABM: industry report", "Invite: CFO roundtable"],
    "email_click": ["CTA: book a briefing", "Link: analyst report", "Link: TCO study"],
    "content_download": ["Forrester TEI study", "CFO guide to revenue operations",
                         "Architecture whitepaper"],
    "webinar_attended": ["Consolidating the revenue stack", "Security deep dive"],
    "event_attended": ["Executive dinner, London", "Executive roundtable, Chicago",
                       "Partner summit booth"],
    "ad_click": ["LinkedIn: ABM finance", "LinkedIn: ABM IT"],
    "demo_request": ["Requested via website", "Requested at event"],
    "meeting_request": ["Asked for an executive briefing", "Replied to AE outreach"],
    "contact_sales": ["Contact sales form"],
}
INTENT_TOPICS = ["revenue operations", "lead routing", "crm migration", "sales forecasting",
                 "data governance", "cloud security", "erp consolidation", "financial planning"]
PAINS = ["Forecast misses", "Leads lost between teams", "Manual territory assignment",
         "No SLA tracking", "Duplicate accounts", "Slow quote approval", "GDPR exposure"]
INITIATIVES = ["Revenue stack consolidation FY26", "Single CRM after the merger",
               "Sales productivity programme", "EMEA go-to-market reset"]
REASONS = ["CFO asked for one view of pipeline across regions.",
           "Replacing three routing tools after an acquisition.",
           "Board wants speed-to-lead reported monthly.",
           "Evaluating vendors for next fiscal year's budget.",
           "--None--", "N/A"]
TIMELINES = ["0-3 months", "3-6 months", "6-12 months", "12+ months"]
SPONSORS = ["CFO", "CIO", "COO", "CRO", "VP Finance"]
B62 = string.digits + string.ascii_letters

# Named accounts pinned to an AE in the policy's route.
NAMED = [("0015g00000GlbxAAAQ", "Globex Corporation"), ("0015g00000IntcAAAQ", "Initech Group")]


def sf_id(rng, prefix):
    return prefix + "5g0000" + "".join(rng.choice(B62) for _ in range(9))


def ts_fmt(dt, rest_api=False):
    """Salesforce timestamps: Data Loader style, or the REST API's "+0000"."""
    if rest_api:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def put(rng, obj, key, value, p_missing=0.0, p_null=0.0):
    r = rng.random()
    if r < p_missing:
        return
    obj[key] = None if r < p_missing + p_null else value


def slug(s):
    return "".join(c for c in s.lower() if c.isalnum())


def make_accounts(rng, n):
    accounts = list(NAMED) + [(None, None)] * (n - len(NAMED))
    out = []
    used = set()
    for i, (aid, name) in enumerate(accounts):
        if name is None:
            while True:
                name = rng.choice(NAMES_A) + " " + rng.choice(NAMES_B)
                if name not in used:
                    break
            aid = "0015g00000" + "".join(rng.choice(B62) for _ in range(8))
        used.add(name)
        tier = "strategic" if i < len(NAMED) else rng.choice(
            ["strategic", "enterprise", "enterprise", "enterprise", "commercial", "commercial"])
        region = rng.choice(["NA", "NA", "NA", "EMEA", "EMEA", "EMEA", "APAC", "LATAM"])
        employees = int(rng.lognormvariate(8.3 if tier != "commercial" else 6.5, 1.0))
        acc = {"Id": aid, "Name": name, "tier": tier,
               "target_account": tier == "strategic" or rng.random() < 0.6}
        put(rng, acc, "region", region, 0.06, 0.04)
        put(rng, acc, "employees", employees, 0.1)
        put(rng, acc, "is_customer", rng.random() < 0.3, 0.1, 0.05)
        put(rng, acc, "open_opportunities", rng.choice([0, 0, 0, 0, 1, 1, 2]), 0.1, 0.1)
        put(rng, acc, "revenue_growth", round(rng.uniform(-0.25, 0.35), 3), 0.2)
        put(rng, acc, "intent_surge", rng.randint(0, 100), 0.15, 0.05)
        put(rng, acc, "intent_topics", rng.sample(INTENT_TOPICS, rng.randint(0, 4)), 0.2)
        put(rng, acc, "engaged_contacts", rng.randint(0, 9), 0.1)
        out.append((acc, region, employees))
    return out


def activities(rng, created, now, ts):
    acts = []
    last = t = created
    for _ in range(min(25, int(rng.expovariate(1 / 6.0)))):
        t += timedelta(seconds=rng.randint(600, 6 * 86400))
        if t >= now:
            break
        k = rng.choice(ACT_KINDS)
        a = {"kind": k, "at": ts(t)}
        put(rng, a, "subject", rng.choice(SUBJECTS[k]), 0.05, 0.05)
        acts.append(a)
        last = t
    return acts, last


def lead(rng, i, now, accounts):
    acc, region, employees = rng.choice(accounts)
    # About one record in thirty came through the REST API sync path.
    rest_api = rng.random() < 0.035
    ts = lambda dt: ts_fmt(dt, rest_api)
    acc = dict(acc)
    fn, ln = rng.choice(FIRST), rng.choice(LAST)
    created = now - timedelta(seconds=rng.randint(2 * 3600, 200 * 86400))
    country, dial = rng.choice(COUNTRIES[region])
    domain = slug(acc["Name"].split()[0]) + rng.choice([".com", ".com", ".co.uk", ".de", ".io"])
    persona = rng.random()
    title = rng.choice(TITLES_CFO if persona < 0.25 else TITLES_CIO if persona < 0.5 else TITLES_OTHER)

    rec = {"attributes": {"type": "Lead"}}
    rec["Id"] = sf_id(rng, "00Q")
    rec["attributes"]["url"] = "/services/data/v60.0/sobjects/Lead/" + rec["Id"]
    put(rng, rec, "FirstName", fn, 0.02)
    rec["LastName"] = ln
    put(rng, rec, "Title", title if rng.random() > 0.05 else "--None--", 0.06, 0.03)
    company = acc["Name"]
    r = rng.random()
    if r < 0.03:
        company = rng.choice(["x", "-", "na"])           # typed by a rep to get past validation
    elif r < 0.15:
        company = company.replace("Corporation", "Corp.").upper()
    rec["Company"] = company
    r = rng.random()
    if r < 0.06:
        email = f"{slug(fn)}.{slug(ln)}{rng.randint(1, 99)}@" + rng.choice(["gmail.com", "outlook.com", "yahoo.com"])
    elif r < 0.08:
        email = rng.choice(["N/A", f"{slug(fn)[0]}{slug(ln)}@"])
    elif r < 0.10:
        email = f"{slug(fn)}.{slug(ln)}@{slug(acc['Name'].split()[0])}.gov"
    else:
        email = f"{slug(fn)}.{slug(ln)}@{domain}"
    put(rng, rec, "Email", email, 0.04, 0.02)
    if dial == "+1":
        phone = f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    else:
        phone = f"{dial} {rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    put(rng, rec, "Phone", phone if rng.random() > 0.04 else "N/A", 0.15, 0.05)
    put(rng, rec, "MobilePhone", f"{dial} {rng.randint(600, 799)} {rng.randint(100000, 999999)}", 0.6)
    put(rng, rec, "LeadSource", rng.choice(["Web", "Web", "Web", "Phone Inquiry", "Partner Referral",
                                            "Purchased List", "Other", "--None--"]), 0.08, 0.04)
    stage = rng.choice(["mql"] * 11 + ["sal"] * 5 + ["sql"] * 2 + ["recycled"] * 2)
    status = {"mql": "Open - Not Contacted", "sal": "Working - Contacted",
              "sql": rng.choice(["Working - Contacted", "Closed - Converted"]),
              "recycled": "Closed - Not Converted"}[stage]
    if rng.random() < 0.04:
        status = rng.choice(["Closed - Not Converted", "Working - Contacted"])
    rec["Status"] = status
    put(rng, rec, "Rating", rng.choice(["Hot", "Warm", "Warm", "Cold", "--None--"]), 0.2, 0.05)
    put(rng, rec, "Industry", rng.choice(INDUSTRIES + ["--None--", "Unknown"]), 0.15, 0.05)
    r = rng.random()
    if r < 0.03:
        rec["NumberOfEmployees"] = f"{employees:,}"         # text in a number field
    else:
        put(rng, rec, "NumberOfEmployees", employees, 0.25, 0.05)
    revenue = int(round(employees * rng.uniform(80_000, 700_000), -3))
    r = rng.random()
    if r < 0.02:
        rec["AnnualRevenue"] = f"${revenue / 1e6:.1f}M"
    else:
        put(rng, rec, "AnnualRevenue", revenue, 0.3, 0.05)
    put(rng, rec, "Country", country if rng.random() > 0.03 else "Unknown", 0.08)
    if dial == "+1" and country not in ("Canada", "CA"):
        put(rng, rec, "State", rng.choice(US_STATES), 0.2)
    put(rng, rec, "HasOptedOutOfEmail", rng.random() < 0.08, 0.1)
    put(rng, rec, "DoNotCall", rng.random() < 0.1, 0.1)
    put(rng, rec, "OwnerId", sf_id(rng, rng.choice(["005", "00G"])), 0.05)
    rec["CreatedDate"] = ts(created)

    acts, last = activities(rng, created, now, ts)
    sla = {}
    if stage != "mql" or rng.random() < 0.6:
        handed = created + timedelta(seconds=rng.randint(1800, 20 * 86400))
        if handed > now:
            handed = max(created, now - timedelta(seconds=rng.randint(600, 3 * 86400)))
        sla["handed_off_at"] = ts(handed)
        clock = handed
        for key, p, span in [("accepted_at", 0.0 if stage != "mql" else 0.7, 2 * 86400),
                             ("first_touch_at", 0.1 if stage != "mql" else 0.9, 3 * 86400),
                             ("meeting_booked_at", 0.4 if stage == "sal" else 0.0 if stage == "sql" else 1.0, 10 * 86400),
                             ("qualified_at", 0.0 if stage == "sql" else 1.0, 14 * 86400)]:
            if rng.random() < p:
                break
            clock = clock + timedelta(seconds=rng.randint(300, span))
            if clock > now:
                break
            sla[key] = ts(clock)
        if "accepted_at" in sla and rng.random() < 0.5:
            sla["debrief"] = rng.choice(["Real project, CFO sponsor confirmed.",
                                         "Wrong persona: routed to the IT buyer.",
                                         "Already talking to a competitor; keep warm.", "N/A"])
    else:
        put(rng, sla, "handed_off_at", None, 0.7)
    stamps = [datetime.fromisoformat(v.replace(".000+0000", "+00:00").replace(".000Z", "+00:00"))
              for k, v in sla.items() if k.endswith("_at") and v]
    base = max([created, last] + stamps)
    modified = min(now, base + timedelta(seconds=rng.randint(0, 3 * 86400)))
    if i == 137:
        modified = now + timedelta(hours=2)                  # clock skew in the sync
    rec["LastModifiedDate"] = ts(modified)
    if region == "EMEA":
        put(rng, rec, "Email_Consent__c", rng.random() < 0.8, 0.1)
        put(rng, rec, "Phone_Consent__c", rng.random() < 0.5, 0.1)
    rec["funnel_stage"] = stage

    if i in (41, 166):
        acc["target_account"] = "true"                       # a bool exported as text
    if i == 88:
        acc["open_opportunities"] = "2"
    rec["account"] = acc

    eng = {}
    put(rng, eng, "score", rng.randint(0, 100), 0.05, 0.05)
    if acts:
        eng["last_activity_at"] = acts[-1]["at"]
    else:
        put(rng, eng, "last_activity_at", None, 0.5)
    eng["activities"] = acts
    rec["engagement"] = eng

    ctx = {}
    put(rng, ctx, "reason_for_interest", rng.choice(REASONS), 0.15, 0.05)
    put(rng, ctx, "pain_points", rng.sample(PAINS, rng.choice([0, 1, 1, 2, 3])), 0.1, 0.05)
    put(rng, ctx, "initiative", rng.choice(INITIATIVES), 0.5)
    put(rng, ctx, "buying_timeline", rng.choice(TIMELINES + ["--None--"]), 0.2, 0.05)
    put(rng, ctx, "budget_confirmed", rng.random() < 0.4, 0.4)
    put(rng, ctx, "executive_sponsor", rng.choice(SPONSORS), 0.6)
    rec["context"] = ctx

    rec["sla"] = sla
    return rec


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    n, seed, now = int(argv[1]), 11, NOW
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--seed":
            seed = int(args.pop(0))
        elif a == "--now":
            now = datetime.fromisoformat(args.pop(0).replace("Z", "+00:00"))
        else:
            sys.stderr.write(f"unknown arg {a}\n")
            return 2
    rng = random.Random(seed)
    accounts = make_accounts(rng, max(len(NAMED) + 1, n // 3))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for i in range(n):
        sys.stdout.write(dumps(lead(rng, i, now, accounts)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
