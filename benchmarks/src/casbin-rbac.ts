/**
 * The node-casbin model the authorization suites compare against: RBAC with two role
 * hierarchies (`g` for subject → role and role → role, `g2` for object → object group) and one
 * allow rule per (role, object group, action).
 */
export const CASBIN_RBAC_MODEL = `
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
g2 = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && g2(r.obj, p.obj) && r.act == p.act
`;
