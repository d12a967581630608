export {
  Channel,
  isRobot,
  MAX_ALERTMANAGER_PEERS,
  Mentions,
  ROBOT_CHANNELS,
  StoredSubscription,
  SubscriptionInput,
  SubscriptionRequest,
} from './subscription';
export type { RobotChannel } from './subscription';
export type { DeliveryState, Subscription } from './subscription';
export { SubscriptionStore } from './subscription-store';
export { DeliveryMessage, dedupKeyOf, deliveryIdOf, revisionOf, wants } from './delivery';
export type { Delivery } from './delivery';
export { DeliveryQueue } from './delivery-queue';
export { subscriptionKeys } from './keys';
export { channelFormats } from './channels';
export type { QueuedChannel } from './channels';
export type { ChannelFormat, ChannelReply, ChannelRequest, SendFailure } from './channels/channel';
export { deliveryResultsOf, httpFailureOf, ROBOT_VENDORS } from './channels/channel';
export type { AlertmanagerAlert, AlertmanagerOptions } from './channels/alertmanager';
export { ALERTMANAGER_BATCH, alertmanagerAlertOf, alertmanagerRequest } from './channels/alertmanager';
export { AlertmanagerState, ResentAlert } from './alertmanager-state';
export type { AlertmanagerRound, AlertmanagerSnapshot, TargetState } from './alertmanager-state';
export { robotKeyOf } from './robots/robot-key';
export { RobotBudget } from './robots/robot-budget';
export type { RobotWindow } from './robots/robot-budget';
export { dingtalkSign } from './channels/dingtalk';
export { feishuSign } from './channels/feishu';
export { webhookSignature } from './channels/webhook';
export { KIND_LABEL, packMarkdown, truncateUtf8 } from './channels/format';
export { WECOM_MAX_CONTENT_BYTES, WECOM_MAX_TEXT_BYTES } from './channels/wecom';
export { addressKindOf, addressRefusal, METADATA_ADDRESSES } from './destination/address';
export type { AddressKind } from './destination/address';
export { MASKED, maskedUrl } from './destination/mask';
export { DestinationPolicy, hostnameOf, ROBOT_HOSTS, systemResolver } from './destination/policy';
export type { Destination, Resolver } from './destination/policy';
