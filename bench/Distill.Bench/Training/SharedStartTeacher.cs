using Distill.Shared.Wire;
using Distill.StudentTrainer.Teacher;

namespace Distill.Bench.Training;

/// <summary>
/// The client as it was before per-row starts: a request with a start per row goes to the teacher with one start, the
/// smallest, and each row's answer is cut back to its own start, so the trainer sees the same answer. Longer rows
/// then make the teacher recompute positions its cache holds.
/// </summary>
public sealed class SharedStartTeacher(ITeacher inner) : ITeacher
{
    public ModelInfo Model => inner.Model;

    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        if (request.Starts is not { } starts)
        {
            return await inner.TopKAsync(request, ct);
        }
        int shared = starts.Min();
        TopKResult answer = await inner.TopKAsync(request with { Start = shared, Starts = null }, ct);
        var rows = answer.Sequences.Select((sequence, row) =>
        {
            int skip = starts[row] - shared, k = sequence.K;
            return new SequenceTopK(sequence.Length - skip, k, sequence.Ids[(skip * k)..], sequence.Logprobs[(skip * k)..], sequence.NextTokenLogprobs[skip..]);
        }).ToArray();
        return answer with { Sequences = rows, Start = 0, Starts = starts };
    }

    public Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct) => inner.GenerateAsync(request, ct);
}
