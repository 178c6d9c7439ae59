"""Voila configuration for the servers alliance-kit starts (on JUPYTER_CONFIG_PATH).

The access token comes from the server's environment, which only its user can read,
not from its command line, which every local user can list (``ps``); it is removed from
the environment once read, so the kernels this server starts do not inherit it. Access
logs redact tokens and codes; wrong tokens lock an address out for a while; pages send
anti-framing and no-referrer headers; cookies are HttpOnly and SameSite=Strict (see
alliance_kit.delivery.web_guard). A dashboard for a team store with people has no token:
viewers sign in with personal links (alliance_kit.delivery.dashboard_login).
"""

from alliance_kit.delivery import dashboard_login, web_guard

web_guard.install_log_redaction()

token = web_guard.take_secret_env().get("ALLIANCE_KIT_VOILA_TOKEN")
if dashboard_login.personal_mode():  # a team store with people: personal links, no token
    c.Voila.identity_provider_class = dashboard_login.identity_provider_class()  # type: ignore[name-defined]  # noqa: F821,E501
    c.VoilaConfiguration.prelaunch_hook = dashboard_login.prelaunch_hook  # type: ignore[name-defined]  # noqa: F821,E501
else:
    if token:
        c.Voila.token = token  # type: ignore[name-defined]  # noqa: F821 - traitlets' config
    c.Voila.identity_provider_class = web_guard.identity_provider_class()  # type: ignore[name-defined]  # noqa: F821,E501
c.IdentityProvider.cookie_options = dict(web_guard.COOKIE_OPTIONS)  # type: ignore[name-defined]  # noqa: F821,E501
c.Voila.tornado_settings = {  # type: ignore[name-defined]  # noqa: F821
    "headers": dict(web_guard.SECURITY_HEADERS),
    "log_function": web_guard.log_request,
    "xsrf_cookie_kwargs": dict(web_guard.COOKIE_OPTIONS),
}
