using Distill.Shared.Wire;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// The teacher as the trainer sees it: one model answering top-k and generate requests. Implemented by
/// <see cref="ReplicatedTeacher"/> over HTTP, and by in-memory teachers in tests and benchmarks.
/// </summary>
public interface ITeacher
{
    /// <summary>The served model: name, version, vocabulary size, context length, tokenizer fingerprint.</summary>
    ModelInfo Model { get; }

    /// <summary>
    /// The teacher's top-k next-token log-probabilities of every position of a batch of sequences: for n sequences of
    /// lengths T_i, the answer holds n <see cref="SequenceTopK"/> with ids and log-probs [T_i·k] and next-token
    /// log-probs [T_i] (NaN at each last position).
    /// </summary>
    Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct);

    /// <summary>Sampled continuations of a batch of prompts (for sequence-level KD).</summary>
    Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct);
}
