/** autoscaling/v2 object types: HorizontalPodAutoscaler. Shapes follow k8s.io/api/autoscaling/v2. */
import type { LabelSelector, List, ObjectMeta, QuantityValue, Time } from './meta.js';

/** The scaled object (must have a scale subresource). */
export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

/** A target value: Utilization (percent of request), Value, or AverageValue. */
export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue';
  value?: QuantityValue;
  averageValue?: QuantityValue;
  averageUtilization?: number;
}

/** A metric identifier: name plus optional label selector. */
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelector;
}

/** One metric the autoscaler scales on; the field matching `type` is set. */
export interface MetricSpec {
  type: 'Object' | 'Pods' | 'Resource' | 'ContainerResource' | 'External';
  object?: { describedObject: CrossVersionObjectReference; target: MetricTarget; metric: MetricIdentifier };
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; target: MetricTarget; container: string };
  external?: { metric: MetricIdentifier; target: MetricTarget };
}

/** One scaling policy: change by at most `value` pods/percent per `periodSeconds`. */
export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** Scaling rules for one direction. */
export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  /** Defaults to Max. */
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HPAScalingPolicy[];
  tolerance?: QuantityValue;
}

/** Scale-up and scale-down behaviour. */
export interface HorizontalPodAutoscalerBehavior {
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
}

/** Desired state of an HPA. */
export interface HorizontalPodAutoscalerSpec {
  scaleTargetRef: CrossVersionObjectReference;
  /** Defaults to 1. */
  minReplicas?: number;
  maxReplicas: number;
  /** Defaults to 80% CPU utilization when empty. */
  metrics?: MetricSpec[];
  behavior?: HorizontalPodAutoscalerBehavior;
}

/** Current value of one metric. */
export interface MetricStatus {
  type: MetricSpec['type'];
  resource?: {
    name: string;
    current: { value?: QuantityValue; averageValue?: QuantityValue; averageUtilization?: number };
  };
  pods?: { metric: MetricIdentifier; current: { averageValue?: QuantityValue } };
  object?: {
    metric: MetricIdentifier;
    current: { value?: QuantityValue; averageValue?: QuantityValue };
    describedObject: CrossVersionObjectReference;
  };
  containerResource?: {
    name: string;
    container: string;
    current: { value?: QuantityValue; averageValue?: QuantityValue; averageUtilization?: number };
  };
  external?: { metric: MetricIdentifier; current: { value?: QuantityValue; averageValue?: QuantityValue } };
}

/** Observed state of an HPA. */
export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: Time;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: Array<{
    type: string;
    status: 'True' | 'False' | 'Unknown';
    lastTransitionTime?: Time;
    reason?: string;
    message?: string;
  }>;
}

/** Scales a workload's replicas from observed metrics. */
export interface HorizontalPodAutoscaler {
  apiVersion?: 'autoscaling/v2';
  kind?: 'HorizontalPodAutoscaler';
  metadata: ObjectMeta;
  spec?: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}

/** `HorizontalPodAutoscalerList`. */
export type HorizontalPodAutoscalerList = List<HorizontalPodAutoscaler>;
