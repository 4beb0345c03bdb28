using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Schemes;

/// <summary>Where a MiniLLM run stands after a completed step: what its checkpoint records besides the weights and the optimiser.</summary>
public sealed record MiniLlmTrainingState
{
    /// <summary>Rollout steps completed; prompts, corpus windows, sampling seeds and the schedule continue from here.</summary>
    [JsonPropertyName("step")] public required int Step { get; init; }

    [JsonPropertyName("options")] public required MiniLlmTrainerOptions Options { get; init; }

    /// <summary>Version of the teacher's last answer.</summary>
    [JsonPropertyName("teacher_version")] public string? TeacherVersion { get; init; }

    [JsonPropertyName("teacher_version_changes")] public int TeacherVersionChanges { get; init; }

    /// <summary>State of torch's default random generator (base64): dropout draws from it.</summary>
    [JsonPropertyName("rng_state")] public required string RngState { get; init; }

    [JsonPropertyName("response_tokens")] public long ResponseTokens { get; init; }

    [JsonPropertyName("lm_tokens")] public long LmTokens { get; init; }

    [JsonPropertyName("teacher_requests")] public long TeacherRequests { get; init; }

    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }

    [JsonPropertyName("teacher_wait_seconds")] public double TeacherWaitSeconds { get; init; }

    /// <summary>What of step <see cref="Step"/>'s bookkeeping a failure left undone; null when none.</summary>
    [JsonPropertyName("pending")] public Distillation.StepTail? Pending { get; init; }
}
