using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public sealed class MiniLlmRolloutTests : IDisposable
{
    private readonly CausalLm _teacher = TinyModels.Create(MiniLlmFixtures.TeacherConfig, seed: 21);
    private readonly CausalLm _student = TinyModels.Create(MiniLlmFixtures.StudentConfig, seed: 22);

    public void Dispose()
    {
        _teacher.Dispose();
        _student.Dispose();
    }

    // Student q over four ids; the teacher's top-2 are ids 0 and 1 with p = 0.5 and 0.3, so its tail of 0.2 is spread
    // like q over ids 2 and 3 (q = 0.3 and 0.4 of Q_out = 0.7).
    private static readonly double[] Student = [0.1, 0.2, 0.3, 0.4];
    private static readonly double[] Teacher = [0.5, 0.3, 0.2 * 3 / 7, 0.2 * 4 / 7];
    private static readonly double[] Mixture = [.. Teacher.Zip(Student, (p, q) => 0.2 * p + 0.8 * q)];

    [Fact]
    public void A_token_is_drawn_from_the_teacher_mixture_and_weighted_student_over_mixture()
    {
        using var scope = NewDisposeScope();
        const int rows = 4000;   // σ of a frequency ≤ 0.008
        Tensor logits = tensor(Student.Select(v => Math.Log(v)).ToArray()).to_type(ScalarType.Float32).expand(rows, 4);
        Tensor ids = tensor(new long[] { 0, 1 }).expand(rows, 2);
        float[] teacherTopK = [MathF.Log(0.5f), MathF.Log(0.3f)];
        Tensor logProbs = tensor(teacherTopK).expand(rows, 2);
        using var generator = new Generator(5);

        RolloutToken drawn = MiniLlmRolloutSampler.SampleToken(logits, ids, logProbs, 0.2, generator);

        long[] tokens = drawn.Tokens.data<long>().ToArray();
        float[] logQ = drawn.StudentLogProbs.data<float>().ToArray();
        float[] logP = drawn.TeacherLogProbs.data<float>().ToArray();
        float[] weights = drawn.ImportanceWeights.data<float>().ToArray();
        for (int row = 0; row < rows; row++)
        {
            long y = tokens[row];
            Assert.Equal(Math.Log(Student[y]), logQ[row], 5);
            Assert.Equal(Math.Log(Teacher[y]), logP[row], 5);
            Assert.Equal(Student[y] / Mixture[y], weights[row], 5);
            if (y < 2) Assert.Equal(teacherTopK[y], logP[row]);   // the teacher's own value, bit for bit
        }
        for (int v = 0; v < 4; v++) Assert.Equal(Mixture[v], tokens.Count(t => t == v) / (double)rows, 0.03);
    }

    [Fact]
    public void The_teacher_is_asked_once_per_sampled_token_for_the_last_position_of_each_row()
    {
        var teacher = new LocalGptTeacher(_teacher);
        TokenizedPair[] pairs = MiniLlmFixtures.Pairs(3);
        using var scope = NewDisposeScope();
        MiniLlmRollout rollout = Collect(teacher, pairs, MiniLlmFixtures.Options());

        long columns = rollout.Tokens.shape[1];
        Assert.Equal(6, columns);
        IReadOnlyList<TopKRequest> requests = teacher.TopKRequests;
        Assert.Equal(requests.Count, rollout.TeacherRequests);
        Assert.Equal(columns + (OutsideTopK(rollout).Count > 0 ? 1 : 0), requests.Count);
        for (int c = 0; c < columns; c++)
        {
            Assert.Equal(Enumerable.Repeat(5 + c - 1, pairs.Length), requests[c].Starts!);
            for (int row = 0; row < pairs.Length; row++)
            {
                int[] expected = [.. pairs[row].Prompt, .. MiniLlmFixtures.Row(rollout.Tokens, row).Take(c).Select(t => (int)t)];
                Assert.Equal(expected, requests[c].Sequences[row]);
            }
        }
    }

    [Fact]
    public async Task Prompts_of_different_lengths_get_each_rows_own_teacher_and_student_log_probs()
    {
        var teacher = new LocalGptTeacher(_teacher);
        TokenizedPair[] pairs = MiniLlmFixtures.Pairs(3, equalPrompts: false);
        using var scope = NewDisposeScope();
        MiniLlmRollout rollout = Collect(teacher, pairs, MiniLlmFixtures.Options() with { TopK = 16 });
        Assert.Equal(rollout.Tokens.shape[1], teacher.TopKRequests.Count);           // k = the vocabulary: nothing outside the top-k
        for (int c = 0; c < teacher.TopKRequests.Count; c++)                         // each row from its own last position
            Assert.Equal(pairs.Select(p => p.Prompt.Length + c - 1), teacher.TopKRequests[c].Starts!);

        using var noGrad = no_grad();
        Tensor studentLogProbs = rollout.ResponseLogits(_student).log_softmax(-1);                 // teacher-forced, one pass
        float[] forced = TokenLogProbs.Gather(studentLogProbs, rollout.Tokens).data<float>().ToArray();
        float[] sampledQ = rollout.OldLogProbs.data<float>().ToArray();
        float[] sampledP = rollout.TeacherTokenLogProbs.data<float>().ToArray();
        int columns = (int)rollout.Tokens.shape[1];
        for (int row = 0; row < pairs.Length; row++)
        {
            int[] sequence = [.. pairs[row].Prompt, .. MiniLlmFixtures.Row(rollout.Tokens, row).Select(t => (int)t)];
            TopKResult full = await teacher.TopKAsync(new TopKRequest([sequence], 1), CancellationToken.None);
            for (int c = 0; c < columns; c++)
            {
                Assert.Equal(full.Sequences[0].NextTokenLogprobs[pairs[row].Prompt.Length + c - 1], sampledP[row * columns + c], 4);
                Assert.Equal(forced[row * columns + c], sampledQ[row * columns + c], 4);
            }
        }
    }

    [Fact]
    public async Task A_token_sampled_outside_the_teacher_top_k_gets_the_teachers_exact_log_prob_from_one_more_request()
    {
        var teacher = new LocalGptTeacher(_teacher);
        TokenizedPair[] pairs = MiniLlmFixtures.Pairs(4, equalPrompts: false);
        using var scope = NewDisposeScope();
        MiniLlmRollout rollout = Collect(teacher, pairs, MiniLlmFixtures.Options() with { TopK = 2 });
        List<(int Row, int Column)> outside = OutsideTopK(rollout);
        Assert.True(outside.Count >= 3, $"{outside.Count} tokens outside the top-2: the test shows nothing");

        int columns = (int)rollout.Tokens.shape[1];
        float[] sampledP = rollout.TeacherTokenLogProbs.data<float>().ToArray();
        bool[] mask = rollout.Mask.data<bool>().ToArray();
        for (int row = 0; row < pairs.Length; row++)
        {
            int[] sequence = [.. pairs[row].Prompt, .. MiniLlmFixtures.Row(rollout.Tokens, row).Select(t => (int)t)];
            TopKResult full = await teacher.TopKAsync(new TopKRequest([sequence], 1), CancellationToken.None);
            for (int c = 0; c < columns; c++)
                if (mask[row * columns + c])
                    Assert.Equal(full.Sequences[0].NextTokenLogprobs[pairs[row].Prompt.Length + c - 1], sampledP[row * columns + c], 4);
        }

        TopKRequest exact = teacher.TopKRequests[columns];
        Assert.Equal(columns + 1, rollout.TeacherRequests);
        Assert.Equal(1, exact.K);
        int[] rows = [.. outside.Select(o => o.Row).Distinct().Order()];
        Assert.Equal(rows.Length, exact.Sequences.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            int prompt = pairs[rows[i]].Prompt.Length;
            Assert.Equal(prompt - 1 + outside.Where(o => o.Row == rows[i]).Min(o => o.Column), exact.Starts![i]);
            Assert.Equal(prompt + outside.Where(o => o.Row == rows[i]).Max(o => o.Column) + 1, exact.Sequences[i].Length);
        }
    }

    [Fact]
    public void Rows_that_sample_the_end_of_sequence_id_stop_there_and_are_masked_after_it()
    {
        TokenizedPair[] pairs = MiniLlmFixtures.Pairs(4);
        using var scope = NewDisposeScope();
        MiniLlmRollout free = Collect(new LocalGptTeacher(_teacher), pairs, MiniLlmFixtures.Options());
        long[][] freeTokens = [.. Enumerable.Range(0, pairs.Length).Select(row => MiniLlmFixtures.Row(free.Tokens, row))];
        int eos = (int)freeTokens[0][1];

        var teacher = new LocalGptTeacher(_teacher);
        MiniLlmRollout stopped = Collect(teacher, pairs, MiniLlmFixtures.Options() with { EosId = eos });

        int columns = (int)stopped.Tokens.shape[1];
        bool[] mask = stopped.Mask.data<bool>().ToArray();
        int[] expectedLengths = [.. freeTokens.Select(tokens => Array.IndexOf(tokens, (long)eos) is var at and >= 0 ? at + 1 : tokens.Length)];
        Assert.True(expectedLengths[0] <= 2);
        Assert.Equal(expectedLengths.Max(), columns);
        Assert.Equal(expectedLengths, stopped.ResponseLengths);
        for (int row = 0; row < pairs.Length; row++)
        {
            long[] tokens = MiniLlmFixtures.Row(stopped.Tokens, row);
            for (int c = 0; c < columns; c++)
            {
                bool sampled = c < expectedLengths[row];
                Assert.Equal(sampled, mask[row * columns + c]);
                Assert.Equal(sampled ? freeTokens[row][c] : eos, tokens[c]);   // the same draws; after the end, the end id
            }
        }
        Assert.True(columns > expectedLengths[0] + 1, "row 0 should be extended after its end");
        int[] lastAsked = teacher.TopKRequests[columns - 1].Sequences[0];                   // the last column's request
        Assert.Equal(Enumerable.Repeat(eos, columns - expectedLengths[0] - 1), lastAsked[(5 + expectedLengths[0])..]);
    }

    [Fact]
    public void A_prompt_that_fills_the_context_is_refused()
    {
        var pair = new TokenizedPair([.. Enumerable.Repeat(1, 16)], [2]);
        var error = Assert.Throws<ArgumentException>(() => Collect(new LocalGptTeacher(_teacher), [pair], MiniLlmFixtures.Options()));
        Assert.Contains("no room", error.Message);
    }

    /// <summary>(row, column) of every sampled token that the teacher's top-k at its position did not hold.</summary>
    private static List<(int Row, int Column)> OutsideTopK(MiniLlmRollout rollout)
    {
        int rows = (int)rollout.Tokens.shape[0], columns = (int)rollout.Tokens.shape[1], k = (int)rollout.TeacherIds.shape[2];
        long[] tokens = rollout.Tokens.cpu().data<long>().ToArray();
        long[] ids = rollout.TeacherIds.cpu().data<long>().ToArray();
        bool[] mask = rollout.Mask.cpu().data<bool>().ToArray();
        var outside = new List<(int, int)>();
        for (int row = 0; row < rows; row++)
            for (int c = 0; c < columns; c++)
                if (mask[row * columns + c] && !ids.AsSpan((row * columns + c) * k, k).Contains(tokens[row * columns + c]))
                    outside.Add((row, c));
        return outside;
    }

    private MiniLlmRollout Collect(LocalGptTeacher teacher, TokenizedPair[] pairs, MiniLlmTrainerOptions options)
    {
        using var generator = new Generator(9);
        return MiniLlmRolloutSampler.Collect(_student, teacher, pairs, options, generator, null, CancellationToken.None);
    }
}
