/** A new ULID, e.g. `01J9ZQ4V3M8W2K6X0T5N7R1C4H`. */
export declare function ulid(now?: number): string;
