export { QUERY_TIMEOUT_MAX_MS, SETTINGS, SETTING_NAMES, type Setting, type SettingGroup, type SettingName } from './table';
export { assertSettings, checkSettings, rawSetting, readSetting, settingSchema, type SettingProblem, type SettingValue } from './check';
export { cliEnvironmentHelp, settingsGroupsIn, settingsTable, withSettingsTables } from './render';
export type { Rule } from './rules';
