//! The description of who may do what: signing in and out, invites, users, API and runner
//! tokens, the runners seen, and the audit log.

use super::*;
use crate::access::endpoints::{
    AcceptRequest, AuditPage, Invited, LinkRequest, LoginRequest, NewRunnerToken, NewToken,
    NewUser, RunnerList, SignInLink, TokenCreated, TokenList, TokenOne, UserChange, UserList,
    UserOne,
};

pub(super) fn describe(endpoint: Endpoint, s: &mut Schemas) -> Described {
    use Endpoint::*;
    match endpoint {
        AuthLogin => Described::new("authLogin", "access", "Sign in with email and password")
            .describe(
                "Sets the session cookie (`HttpOnly; SameSite=Strict`, `Secure` over https). \
                 Failures say the same whether or not the account exists.",
            )
            .body(json_body(s.of::<LoginRequest>()))
            .answer(
                200,
                json_response("Signed in", s.of::<crate::access::endpoints::Me>()),
            )
            .refuse(401, "Wrong email or password")
            .refuse(
                429,
                "Too many failed sign-ins for this account or address; see `Retry-After`",
            ),
        AuthLogout => Described::new("authLogout", "access", "Sign out")
            .describe("Ends the session the cookie names and clears the cookie.")
            .answer(
                204,
                ResponseBuilder::new().description("Signed out").build(),
            ),
        AuthAccept => Described::new(
            "authAccept",
            "access",
            "Accept an invite: set a password and sign in",
        )
        .body(json_body(s.of::<AcceptRequest>()))
        .answer(
            200,
            json_response("Signed in", s.of::<crate::access::endpoints::Me>()),
        )
        .refuse(
            400,
            "A password that is too short or long, or an invite that is unknown, used or expired",
        )
        .refuse(403, "The invited account is disabled"),
        AuthLink => Described::new("authLink", "access", "Use a one-time sign-in link")
            .body(json_body(s.of::<LinkRequest>()))
            .answer(
                200,
                json_response("Signed in as admin", s.of::<crate::access::endpoints::Me>()),
            )
            .refuse(400, "A link that is unknown, used or expired"),
        SignInLinks => Described::new(
            "signInLinks",
            "access",
            "Make a one-time admin sign-in link",
        )
        .answer(201, json_response("The link", s.of::<SignInLink>())),
        Me => Described::new("me", "access", "Who is asking").answer(
            200,
            json_response("The caller", s.of::<crate::access::endpoints::Me>()),
        ),
        UsersList => Described::new("usersList", "access", "Every user")
            .answer(200, json_response("The users", s.of::<UserList>())),
        UsersCreate => Described::new("usersCreate", "access", "Invite a user")
            .describe("The invite URL is shown once and works once.")
            .body(json_body(s.of::<NewUser>()))
            .answer(201, json_response("Invited", s.of::<Invited>()))
            .refuse(400, "Not an email address, or an unknown role")
            .refuse(409, "A user with this address exists"),
        UserPatch => Described::new("userPatch", "access", "Change a user's role or status")
            .describe("Takes effect on the user's sessions and tokens at once.")
            .body(json_body(s.of::<UserChange>()))
            .answer(200, json_response("The user", s.of::<UserOne>()))
            .refuse(400, "Neither role nor disabled given")
            .refuse(404, "No user with this id"),
        TokensList => Described::new("tokensList", "access", "Your API tokens (an admin: all)")
            .answer(200, json_response("Newest first", s.of::<TokenList>())),
        TokensCreate => Described::new("tokensCreate", "access", "Make an API token")
            .describe("Its role is at most yours; the token is shown once.")
            .body(json_body(s.of::<NewToken>()))
            .answer(201, json_response("The token", s.of::<TokenCreated>()))
            .refuse(400, "A name that is empty or too long")
            .refuse(403, "A role above yours"),
        TokenDelete => Described::new("tokenDelete", "access", "Revoke a token")
            .describe("API or runner token; refused from the next request on.")
            .answer(200, json_response("The token, revoked", s.of::<TokenOne>()))
            .refuse(404, "No token with this id that you may revoke"),
        RunnerTokensList => {
            Described::new("runnerTokensList", "access", "Runner tokens, newest first")
                .answer(200, json_response("The tokens", s.of::<TokenList>()))
        }
        RunnerTokensCreate => Described::new(
            "runnerTokensCreate",
            "access",
            "Make a token bound to one runner name",
        )
        .body(json_body(s.of::<NewRunnerToken>()))
        .answer(201, json_response("The token", s.of::<TokenCreated>()))
        .refuse(400, "A runner name that breaks the rule"),
        RunnersList => Described::new("runnersList", "access", "Runners seen, with when")
            .answer(200, json_response("The runners", s.of::<RunnerList>())),
        AuditList => Described::new("auditList", "access", "The audit log, newest first")
            .parameter(limit(50, 200))
            .parameter(cursor())
            .answer(200, json_response("One page", s.of::<AuditPage>()))
            .refuse(400, "A bad limit or cursor"),
        other => unreachable!("{other:?} is described elsewhere"),
    }
}
