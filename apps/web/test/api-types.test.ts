// Every API shape the UI takes from the generated types must resolve to a real type: a wrong path or
// method in types.ts would give `never`, which type-checks everywhere and hides the drift it should catch.

import { describe, expect, it } from 'vitest';
import type * as Api from '../src/api/types';

type Resolved<T> = [T] extends [never] ? 'never' : 'resolved';

// Checked by `tsc -p apps/web/tsconfig.json` (part of npm test): each entry must be 'resolved'.
const shapes: Record<string, 'resolved'> = {
  User: 'resolved' satisfies Resolved<Api.User>,
  Identity: 'resolved' satisfies Resolved<Api.Identity>,
  AdminUser: 'resolved' satisfies Resolved<Api.AdminUser>,
  MySignIn: 'resolved' satisfies Resolved<Api.MySignIn>,
  AuthSettings: 'resolved' satisfies Resolved<Api.AuthSettings>,
  AuthSettingsUpdate: 'resolved' satisfies Resolved<Api.AuthSettingsUpdate>,
  AuthConfig: 'resolved' satisfies Resolved<Api.AuthConfig>,
  AuthResult: 'resolved' satisfies Resolved<Api.AuthResult>,
  ChangePasswordInput: 'resolved' satisfies Resolved<Api.ChangePasswordInput>,
  Credentials: 'resolved' satisfies Resolved<Api.Credentials>,
  Session: 'resolved' satisfies Resolved<Api.Session>,
  ApiToken: 'resolved' satisfies Resolved<Api.ApiToken>,
  CreateTokenInput: 'resolved' satisfies Resolved<Api.CreateTokenInput>,
  CreatedToken: 'resolved' satisfies Resolved<Api.CreatedToken>,
  CreateUserInput: 'resolved' satisfies Resolved<Api.CreateUserInput>,
  UpdateUserInput: 'resolved' satisfies Resolved<Api.UpdateUserInput>,
  NasNode: 'resolved' satisfies Resolved<Api.NasNode>,
  EnrolmentToken: 'resolved' satisfies Resolved<Api.EnrolmentToken>,
  StorageExport: 'resolved' satisfies Resolved<Api.StorageExport>,
  ExportGrant: 'resolved' satisfies Resolved<Api.ExportGrant>,
  IssueMountProfileInput: 'resolved' satisfies Resolved<Api.IssueMountProfileInput>,
  MountProfile: 'resolved' satisfies Resolved<Api.MountProfile>,
  OwnMountCredential: 'resolved' satisfies Resolved<Api.OwnMountCredential>,
  RevokeMountCredentialsInput: 'resolved' satisfies Resolved<Api.RevokeMountCredentialsInput>,
  NodeStatus: 'resolved' satisfies Resolved<Api.NodeStatus>,
  AgentKind: 'resolved' satisfies Resolved<Api.AgentKind>,
  ExportAccess: 'resolved' satisfies Resolved<Api.ExportAccess>,
  GrantAccess: 'resolved' satisfies Resolved<Api.GrantAccess>,
  NasSettings: 'resolved' satisfies Resolved<Api.NasSettings>,
  NasSettingsUpdate: 'resolved' satisfies Resolved<Api.NasSettingsUpdate>,
  DefaultAccess: 'resolved' satisfies Resolved<Api.DefaultAccess>,
};

describe('API types taken from the OpenAPI document', () => {
  it('all resolve (the type checker holds each one; this lists them)', () => {
    expect(Object.keys(shapes)).toHaveLength(31);
  });
});
