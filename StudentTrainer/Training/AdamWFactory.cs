using Distill.StudentTrainer.Model;
using TorchSharp;
using TorchSharp.Modules;

namespace Distill.StudentTrainer.Training;

/// <summary>AdamW as every trainer here uses it: β = (0.9, 0.95), ε = 1e-8, decoupled decay on 2-D weights only.</summary>
public static class AdamWFactory
{
    public static AdamW Create(Gpt model, double learningRate, double weightDecay)
    {
        (IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay) = model.ParameterGroupsForWeightDecay();
        return torch.optim.AdamW(
        [
            new AdamW.ParamGroup(decay, learningRate, 0.9, 0.95, 1e-8, weightDecay, false, false),
            new AdamW.ParamGroup(noDecay, learningRate, 0.9, 0.95, 1e-8, 0.0, false, false),
        ]);
    }

    public static void SetLearningRate(AdamW optimizer, double learningRate)
    {
        foreach (AdamW.ParamGroup group in optimizer.ParamGroups.Cast<AdamW.ParamGroup>())
            group.LearningRate = learningRate;
    }
}
