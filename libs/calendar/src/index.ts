export { FacilityCalendar, FacilityCalendarError, closesAtMs } from './facility-calendar';
export type { FacilityInfo, Shift, ShiftTimes } from './facility-calendar';
export {
  FacilityCalendarFile,
  FacilityEntry,
  FacilityKind,
  ShiftDefinition,
  isTimeZone,
  parseFacilityCalendarFile,
} from './facility-calendar-file';
export type { ParsedFacilityCalendarFile } from './facility-calendar-file';
export { ZoneClock } from './zone-clock';
