using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// The teacher's distribution over the whole vocabulary, rebuilt from its top-k answer for the schemes that need one
/// (MiniLLM's sampling, rewards and single-step KL). On the k ids, p is the teacher's. The teacher says nothing about
/// how its tail mass P_tail = 1 − Σ_K p is spread over the other ids, so it is spread like the student's mass there:
/// p(v) = P_tail · q(v) / Q_out for v ∉ K, where Q_out = Σ_{v∉K} q(v). Then p ∝ q outside K, so the student is
/// only asked to match the tail's total, as the divergences' tail bucket does: KL(q ‖ p) over the vocabulary equals
/// the k+1-outcome reverse KL in value and in gradient. With k = V, p is the teacher's answer itself.
/// </summary>
public static class TeacherFullDistribution
{
    /// <param name="studentLogits">(…, V) the student's logits or log-probs (normalised here), float32 or float64; finite.</param>
    /// <param name="teacherIds">(…, k) int64, 1 ≤ k ≤ V, distinct ids in [0, V).</param>
    /// <param name="teacherLogProbs">(…, k) the teacher's log-probs of those ids, normalised over the full vocabulary.</param>
    /// <returns>(…, V) log p in the student's dtype, without gradient; −∞ where p is 0 (e.g. outside K when P_tail = 0).</returns>
    public static Tensor LogProbs(Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs)
    {
        SchemeInputs.FloatingPoint(studentLogits, nameof(studentLogits));
        ArgumentNullException.ThrowIfNull(teacherIds);
        SchemeInputs.FloatingPoint(teacherLogProbs, nameof(teacherLogProbs));
        if (teacherIds.dtype != ScalarType.Int64 || teacherIds.dim() != studentLogits.dim()
            || !teacherIds.shape[..^1].SequenceEqual(studentLogits.shape[..^1]))
            throw new ArgumentException(
                $"teacher ids must be int64 (…, k) with the logits' leading dimensions ({string.Join(", ", studentLogits.shape)}), got {teacherIds.dtype} ({string.Join(", ", teacherIds.shape)})",
                nameof(teacherIds));
        SchemeInputs.SameShape(teacherLogProbs, teacherIds, nameof(teacherLogProbs), nameof(teacherIds));
        long k = teacherIds.shape[^1], vocab = studentLogits.shape[^1];
        if (k < 1 || k > vocab) throw new ArgumentException($"the teacher's k must be in [1, V = {vocab}], got {k}", nameof(teacherIds));

        using var scope = NewDisposeScope();
        ScalarType dtype = studentLogits.dtype;
        Tensor logQ = studentLogits.detach().log_softmax(-1);                                   // (…, V)
        Tensor teacherTopK = teacherLogProbs.detach().to_type(dtype);                           // (…, k)
        if (k == vocab) return logQ.scatter(-1, teacherIds, teacherTopK).MoveToOuterDisposeScope();

        Tensor minusInfinity = full_like(teacherIds, Scalars.Of(double.NegativeInfinity), dtype); // (…, k)
        Tensor outsideK = logQ.scatter(-1, teacherIds, minusInfinity);                           // (…, V)
        Tensor logStudentTail = LogSpace.LogSumExp(outsideK);                                    // (…, 1) log Q_out
        Tensor logTeacherTail = TopKOutcomes.TeacherTailLogProb(teacherLogProbs).to_type(dtype); // (…, 1) log P_tail
        Tensor spread = outsideK.sub(logStudentTail).add(logTeacherTail, Scalars.One);           // (…, V), −∞ on K
        return spread.scatter(-1, teacherIds, teacherTopK).MoveToOuterDisposeScope();
    }
}
