using Distill.Shared.Wire;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Model;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class LocalGptTeacherTests : IDisposable
{
    private readonly CausalLm _model = TinyModels.Create();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task A_start_answers_only_the_positions_from_it_on_as_the_full_answer_does()
    {
        var teacher = new LocalGptTeacher(_model);
        int[][] sequences = [TinyModels.RandomPrompt(7, 1), TinyModels.RandomPrompt(9, 2)];
        TopKResult full = await teacher.TopKAsync(new TopKRequest(sequences, 4), CancellationToken.None);
        TopKResult tail = await teacher.TopKAsync(new TopKRequest(sequences, 4, Start: 5), CancellationToken.None);

        Assert.Equal(0, full.Start);
        Assert.Equal(5, tail.Start);
        for (int s = 0; s < 2; s++)
        {
            SequenceTopK whole = full.Sequences[s], part = tail.Sequences[s];
            Assert.Equal(sequences[s].Length - 5, part.Length);
            Assert.Equal(whole.Ids[(5 * 4)..], part.Ids);
            for (int i = 0; i < part.Logprobs.Length; i++) Assert.Equal(whole.Logprobs[5 * 4 + i], part.Logprobs[i], 5);
            for (int t = 0; t < part.Length; t++) Assert.Equal(whole.NextTokenLogprobs[5 + t], part.NextTokenLogprobs[t], 5);
        }
        Assert.Equal([0, 5], teacher.TopKRequests.Select(r => r.Start));
    }

    [Fact]
    public async Task A_start_at_or_past_a_sequences_end_is_refused()
    {
        var teacher = new LocalGptTeacher(_model);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            teacher.TopKAsync(new TopKRequest([TinyModels.RandomPrompt(7, 1), TinyModels.RandomPrompt(3, 2)], 4, Start: 3), CancellationToken.None));
    }
}
