using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

/// <summary>
/// A sampled batch's teacher top-k asked from each row's last prompt position: unpadded rows, the same targets at the
/// response positions as a whole-row answer, so the same loss.
/// </summary>
public sealed class ResponseTopKTests
{
    private static readonly ModelConfig StudentConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 16, layers: 1, heads: 2, dropout: 0.0);

    private static readonly TokenizedPair[] Pairs = [new([1, 2, 3, 4], [5, 6, 7]), new([8, 9], [10, 11, 12, 13, 14]), new([3, 1, 4, 1, 5], [9])];

    [Fact]
    public void Each_row_is_its_prompt_and_response_without_the_last_token_asked_from_its_last_prompt_position()
    {
        TopKRequest request = ResponseTopK.Request(Pairs, 5, 0.5f);
        Assert.Equal([[1, 2, 3, 4, 5, 6], [8, 9, 10, 11, 12, 13], [3, 1, 4, 1, 5]], request.Sequences);
        Assert.Equal([3, 1, 4], request.Starts!);
        Assert.Equal(0.5f, request.Temperature);
    }

    [Fact]
    public async Task The_targets_and_the_loss_equal_those_of_the_whole_padded_rows()
    {
        using CausalLm teacherModel = DistillationTrainerTests.TrainedTeacher();
        var teacher = new LocalGptTeacher(teacherModel);
        DistillOptions options = new() { Student = StudentConfig, TopK = 5, Lambda = 0.7 };
        using var batch = PromptResponseBatch.Build(Pairs, CPU);
        int length = (int)batch.Inputs.shape[1];
        using TeacherTargets whole = TeacherTargets.From(await teacher.TopKAsync(new TopKRequest(PromptResponseBatch.InputRows(Pairs), 5), default), length);
        using TeacherTargets fromStarts = ResponseTopK.Targets(await teacher.TopKAsync(ResponseTopK.Request(Pairs, 5, 1f), default), Pairs, length);

        using var scope = NewDisposeScope();
        Tensor response = batch.Mask.unsqueeze(-1).expand_as(whole.Ids);
        Assert.Equal(whole.Ids.masked_select(response).data<long>().ToArray(), fromStarts.Ids.masked_select(response).data<long>().ToArray());
        Assert.True(whole.LogProbs.masked_select(response).allclose(fromStarts.LogProbs.masked_select(response), rtol: 0, atol: 1e-5));

        manual_seed(3);
        using CausalLm student = StudentConfig.CreateModel();
        double Loss(TeacherTargets targets) => DistillationStep.Loss(student, batch.Inputs, batch.Targets, batch.Mask, targets, options).Loss.item<float>();
        Assert.Equal(Loss(whole), Loss(fromStarts), 5);
    }

    [Fact]
    public void An_answer_from_other_positions_is_refused()
    {
        using var scope = NewDisposeScope();
        SequenceTopK One(int length) => new(length, 1, new int[length], new float[length], new float[length]);
        var answer = new TopKResult("m", "v", 1, [One(3), One(5), One(1)], Starts: [3, 1, 3]);
        var e = Assert.Throws<InvalidDataException>(() => ResponseTopK.Targets(answer, Pairs, 8));
        Assert.Contains("pair 2", e.Message);
    }
}
