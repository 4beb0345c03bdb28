using Distill.Shared.Wire;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>A teacher answer for a batch of equal-length sequences, as the tensors the divergences take.</summary>
/// <param name="Ids">(B, T, k) int64, most probable first.</param>
/// <param name="LogProbs">(B, T, k) float32 log-probs over the full vocabulary at the request's temperature.</param>
/// <param name="Version">The teacher version that produced them.</param>
public sealed record TeacherTargets(Tensor Ids, Tensor LogProbs, string Version) : IDisposable
{
    /// <summary>Tensors on the CPU from an answer whose every sequence has <paramref name="length"/> positions.</summary>
    public static TeacherTargets From(TopKResult answer, int length)
    {
        ArgumentNullException.ThrowIfNull(answer);
        int batch = answer.Sequences.Count;
        int k = answer.K;
        var ids = new long[(long)batch * length * k];
        var logProbs = new float[(long)batch * length * k];
        for (int b = 0; b < batch; b++)
        {
            SequenceTopK sequence = answer.Sequences[b];
            if (sequence.Length != length)
                throw new InvalidDataException($"the teacher answered {sequence.Length} positions for a sequence of {length}");
            int offset = b * length * k;
            for (int i = 0; i < length * k; i++) ids[offset + i] = sequence.Ids[i];
            sequence.Logprobs.AsSpan(0, length * k).CopyTo(logProbs.AsSpan(offset));
        }
        return new TeacherTargets(tensor(ids, [batch, length, k]), tensor(logProbs, [batch, length, k]), answer.Version);
    }

    public TeacherTargets To(Device device) => new(Ids.to(device), LogProbs.to(device), Version);

    public void Dispose()
    {
        Ids.Dispose();
        LogProbs.Dispose();
    }
}
