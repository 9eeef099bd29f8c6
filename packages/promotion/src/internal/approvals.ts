import type { ApprovalLevel, ApprovalPolicy, ApprovalRecord } from '../types.js';

/** Whether one level is satisfied by its approvals: N distinct approvers incl. the required ones. */
export function levelSatisfied(
  level: ApprovalLevel,
  approvals: readonly ApprovalRecord[],
): boolean {
  const mine = approvals.filter((a) => a.level === level.name).map((a) => a.principal);
  return (
    mine.length >= (level.required ?? 1) &&
    (level.requiredApprovers ?? []).every((r) => mine.includes(r))
  );
}

/** The first level not yet satisfied, or undefined when the policy is complete. */
export function currentLevel(
  policy: ApprovalPolicy | undefined,
  approvals: readonly ApprovalRecord[],
): ApprovalLevel | undefined {
  for (const level of policy?.levels ?? []) if (!levelSatisfied(level, approvals)) return level;
  return undefined;
}

export function needsApproval(policy: ApprovalPolicy | undefined): boolean {
  return (policy?.levels.length ?? 0) > 0;
}
