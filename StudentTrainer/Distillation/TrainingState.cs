using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Distillation;

/// <summary>Where a run stands after a completed step: what a checkpoint records besides the weights and the optimiser.</summary>
public sealed record TrainingState
{
    /// <summary>Optimiser steps completed; the schedule and the next step continue from here.</summary>
    [JsonPropertyName("step")] public required int Step { get; init; }

    /// <summary>Index of the next micro-batch of the deterministic data order.</summary>
    [JsonPropertyName("data_cursor")] public required long DataCursor { get; init; }

    [JsonPropertyName("options")] public required DistillOptions Options { get; init; }

    /// <summary>Version of the teacher's last answer; null when the run asks no teacher.</summary>
    [JsonPropertyName("teacher_version")] public string? TeacherVersion { get; init; }

    [JsonPropertyName("teacher_version_changes")] public int TeacherVersionChanges { get; init; }

    /// <summary>State of torch's default random generator (base64).</summary>
    [JsonPropertyName("rng_state")] public required string RngState { get; init; }

    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }

    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }

    [JsonPropertyName("teacher_wait_seconds")] public double TeacherWaitSeconds { get; init; }

    /// <summary>What of step <see cref="Step"/>'s bookkeeping a failure left undone; null when none.</summary>
    [JsonPropertyName("pending")] public StepTail? Pending { get; init; }
}
