using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Teacher P and student Q over the k+1 outcomes of docs/losses.md: the k teacher ids, then one tail bucket holding
/// every other token. With k = V there is no other token and no tail bucket, so n = k; otherwise n = k + 1.
/// </summary>
/// <param name="LogP">(B, T, n) teacher log-probs in the student's dtype, no gradient; may hold −∞.</param>
/// <param name="LogQ">(B, T, n) student log-probs, finite for finite logits.</param>
internal sealed record TopKOutcomes(Tensor LogP, Tensor LogQ, bool HasTailBucket)
{
    /// <param name="studentLogits">(B, T, V) raw logits; log q = log_softmax(logits / τ).</param>
    /// <param name="teacherIds">(B, T, k) int64, distinct ids in [0, V).</param>
    /// <param name="teacherLogProbs">(B, T, k) log-probs normalised over the full vocabulary at τ.</param>
    public static TopKOutcomes Build(Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs, double temperature)
    {
        ScalarType dtype = studentLogits.dtype;
        Tensor scaled = temperature == 1.0 ? studentLogits : studentLogits.div(Scalars.Of(temperature)); // (B, T, V)
        Tensor logNormaliser = scaled.logsumexp(-1, keepdim: true);                            // (B, T, 1)
        Tensor studentTopK = scaled.gather(-1, teacherIds) - logNormaliser;                    // (B, T, k)
        Tensor teacherTopK = teacherLogProbs.detach().to_type(dtype);                          // (B, T, k)
        if (teacherIds.shape[2] == studentLogits.shape[2]) return new(teacherTopK, studentTopK, HasTailBucket: false);

        // The student's tail is the mass outside K itself, not 1 − Σ q_K (which cancels for a student peaked on K).
        Tensor minusInfinity = full_like(teacherIds, Scalars.Of(double.NegativeInfinity), dtype); // (B, T, k)
        Tensor outsideK = scaled.scatter(-1, teacherIds, minusInfinity);                      // (B, T, V)
        Tensor studentTail = LogSpace.LogSumExp(outsideK) - logNormaliser;                    // (B, T, 1)
        Tensor teacherTail = TeacherTailLogProb(teacherLogProbs).to_type(dtype);               // (B, T, 1)
        return new(cat([teacherTopK, teacherTail], -1), cat([studentTopK, studentTail], -1), HasTailBucket: true);
    }

    /// <summary>
    /// log(1 − Σ_K p) in float64: a peaked teacher's tail of 1e-8 or less vanishes in float32. A sum that rounds
    /// above 1 gives a tail of exactly 0 (−∞), never NaN. (B, T, k) → (B, T, 1) float64.
    /// </summary>
    public static Tensor TeacherTailLogProb(Tensor teacherLogProbs)
    {
        Tensor logMassOfK = teacherLogProbs.detach().to_type(ScalarType.Float64).logsumexp(-1, keepdim: true);
        return LogSpace.Log1MinusExp(logMassOfK.clamp_max(Scalars.Of(0.0)));
    }
}
