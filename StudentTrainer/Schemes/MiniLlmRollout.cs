using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// One rollout: responses sampled for a batch of left-padded prompts, in lockstep (column t of every row is response
/// token t), with what the policy-gradient loss needs of the moment each token was drawn. Rows that ended early are
/// filled on to the batch's length and masked out. All tensors share one device; none carries a gradient.
/// </summary>
/// <param name="PromptIds">(B, P) int64, left-padded (<see cref="Data.PromptBatch"/>).</param>
/// <param name="PromptMask">(B, P) bool, true at real prompt tokens.</param>
/// <param name="PromptPositions">(B, P) int64, 0, 1, … from each prompt's first real token.</param>
/// <param name="Tokens">(B, T) int64 response tokens; after a row's end, fill ids.</param>
/// <param name="Mask">(B, T) bool, true at the tokens a row sampled (its end-of-sequence id included).</param>
/// <param name="OldLogProbs">(B, T) log q(y_t) of the student that sampled.</param>
/// <param name="TeacherTokenLogProbs">(B, T) log p(y_t), the teacher's own log-prob of every sampled token (in its top-k or not).</param>
/// <param name="ImportanceWeights">(B, T) q(y_t)/p̃(y_t).</param>
/// <param name="TeacherIds">(B, T, k) int64, the teacher's top-k ids at each response position.</param>
/// <param name="TeacherLogProbs">(B, T, k) float32, their log-probs over the full vocabulary.</param>
/// <param name="ResponseLengths">Tokens each row sampled (the mask's row sums).</param>
/// <param name="TeacherRequests">Top-k requests the rollout made: one per column, and one more when a token was sampled outside the top-k.</param>
/// <param name="TeacherWait">Time spent blocked on the teacher's answers.</param>
public sealed record MiniLlmRollout(
    Tensor PromptIds,
    Tensor PromptMask,
    Tensor PromptPositions,
    Tensor Tokens,
    Tensor Mask,
    Tensor OldLogProbs,
    Tensor TeacherTokenLogProbs,
    Tensor ImportanceWeights,
    Tensor TeacherIds,
    Tensor TeacherLogProbs,
    IReadOnlyList<int> ResponseLengths,
    int TeacherRequests,
    TimeSpan TeacherWait) : IDisposable
{
    /// <summary>Response tokens sampled over all rows.</summary>
    public long TokenCount => ResponseLengths.Sum(length => (long)length);

    /// <summary>
    /// The model's logits for every response position, from one forward pass over prompt ‖ response (without the last
    /// token, which predicts nothing here): (B, T, V), with a gradient when the model is trained.
    /// </summary>
    public Tensor ResponseLogits(CausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        long prompt = PromptIds.shape[1], length = Tokens.shape[1];
        Tensor responseInputs = Tokens.narrow(1, 0, length - 1);                                            // (B, T−1)
        Tensor ids = cat([PromptIds, responseInputs], 1);                                                   // (B, P+T−1)
        Tensor mask = cat([PromptMask, ones_like(responseInputs, ScalarType.Bool)], 1);                     // (B, P+T−1)
        Tensor promptLengths = PromptMask.sum(1, keepdim: true, type: ScalarType.Int64);                    // (B, 1)
        Tensor offsets = arange(Scalars.Of(0L), Scalars.Of(length - 1), Scalars.One, ScalarType.Int64, Tokens.device).unsqueeze(0);
        Tensor positions = cat([PromptPositions, promptLengths.add(offsets, Scalars.One)], 1);              // (B, P+T−1)
        Tensor logits = model.Forward(ids, mask, positions);                                                // (B, P+T−1, V)
        return logits.narrow(1, prompt - 1, length).MoveToOuterDisposeScope();                              // (B, T, V)
    }

    public void Dispose()
    {
        foreach (Tensor tensor in new[]
                 {
                     PromptIds, PromptMask, PromptPositions, Tokens, Mask, OldLogProbs, TeacherTokenLogProbs, ImportanceWeights,
                     TeacherIds, TeacherLogProbs,
                 })
            tensor.Dispose();
    }
}
