class Xrm(Adapter):
    """xrm (this repository). Signs in as the instance admin that xrm.sh bootstraps
    (XRM_BOOTSTRAP_ADMIN_*), then makes an admin API token for the run (or uses XRM_TOKEN)."""
    name = "xrm"
    default_base = "http://127.0.0.1:8080"
    rec = f"/api/v1/records/{COLLECTION}"

    def login(self):
        if os.environ.get("XRM_TOKEN"):
            return os.environ["XRM_TOKEN"]
        import datetime, http.cookiejar, urllib.request
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        def call(path, body, headers):
            request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                             headers={"content-type": "application/json", **headers},
                                             method="POST")
            with opener.open(request) as response:
                return json.loads(response.read())
        session = call("/api/v1/auth/login", {
            "workspace": "default",
            "email": os.environ.get("XRM_BOOTSTRAP_ADMIN_EMAIL", "bench@xrm.local"),
            "password": os.environ.get("XRM_BOOTSTRAP_ADMIN_PASSWORD", "bench-admin-password"),
        }, {})
        expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30))
        token = call("/api/v1/tokens", {"name": "peers benchmark", "role": "admin",
                                        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")},
                     {"x-csrf-token": session["csrf_token"]})
        return token["token"]

    def create_path(self):
        return self.rec

    def get_prefix(self):
        return self.rec + "/"

    def list_path(self):
        q = [("$filter", "status eq 'active' and lifetime_value gt 1000"),
             ("$orderby", "lifetime_value desc"), ("$top", "50")]
        if os.environ.get("LIST_WITH_TOTAL") == "1":
            q.append(("$count", "true"))
        return self.rec + "?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)

    def setup(self):
        st, _ = self.req("GET", f"/api/v1/entity-types/{COLLECTION}")
        if st == 200:
            print("[xrm] entity type exists, leaving it", file=sys.stderr)
            return
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Customer", "type": "object", "additionalProperties": False,
            "required": ["name", "email"],
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "email": {"type": "string", "pattern": EMAIL_RE},
                "tier": {"enum": TIERS},
                "lifetime_value": {"type": "number", "minimum": 0},
                "status": {"enum": STATUSES},
                "country": {"type": "string"},
                "signed_up": {"type": "string", "format": "date-time"},
                "notes": {"type": "string"},
            },
            # The real indexes the list scenario filters and sorts on.
            "x-xrm": {"name": COLLECTION, "display_name": "Customer", "title_field": "name",
                      "indexed": ["status", "lifetime_value"]},
        }
        st, body = self.req("POST", "/api/v1/entity-types", schema)
        if st != 201:
            raise SystemExit(f"xrm create entity type failed: {st} {body}")
        print("[xrm] entity type created", file=sys.stderr)

    def create_many(self, records):
        st, body = self.req("POST", self.rec + "/bulk", {"mode": "create", "records": records})
        if st != 200:
            raise SystemExit(f"xrm bulk failed: {st} {str(body)[:300]}")

    def count(self):
        st, body = self.req("GET", self.rec + "?$count=true&$top=1&$select=id")
        return body["count"]

    def page_ids(self, offset, limit):
        # Keyset paging has no offsets: walk the cursor once, then slice.
        if not hasattr(self, "_all_ids"):
            ids, path = [], self.rec + "?$top=1000&$select=id"
            while path:
                st, body = self.req("GET", path)
                ids.extend(it["id"] for it in body["value"])
                path = body.get("next_link")
            self._all_ids = ids
        return self._all_ids[offset:offset + limit]

    def items_of(self, body):
        return body["value"]

    def id_of(self, body):
        return body["id"]


