"""A tiny JSON-RPC client (standard library only).

The journeys act through the browser; this client only sets the scene and
checks the outcome in the database, as the administrator or as the user
whose journey it is."""
import itertools
import json
import urllib.request

_ids = itertools.count(1)


class RPCError(Exception):
    pass


class OdooRPC:
    def __init__(self, base_url, db, login, password=None):
        self.base_url = base_url.rstrip("/")
        self.db = db
        self.login = login
        self.password = password if password is not None else login
        self.uid = self._call("common", "login", self.db, self.login, self.password)
        if not self.uid:
            raise RPCError("login refused for %r on %s" % (login, db))

    def _call(self, service, method, *args):
        payload = json.dumps({
            "jsonrpc": "2.0", "method": "call", "id": next(_ids),
            "params": {"service": service, "method": method, "args": args},
        }).encode()
        req = urllib.request.Request(
            self.base_url + "/jsonrpc", data=payload,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            answer = json.loads(resp.read())
        if answer.get("error"):
            err = answer["error"]
            raise RPCError(err.get("data", {}).get("message") or err.get("message"))
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self._call("object", "execute_kw", self.db, self.uid, self.password,
                          model, method, list(args), kwargs)

    def ref(self, xmlid):
        """Database id of an xml id ("module.name")."""
        return self.call("ir.model.data", "xmlid_to_res_id", xmlid, True)

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)

    def search(self, model, domain, **kwargs):
        return self.call(model, "search", domain, **kwargs)
