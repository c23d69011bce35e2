-- teacher_student.lua — fuse a teacher and a student CNN of different
-- depths (VGG-style, Fashion-MNIST): the teacher has one more conv layer
-- per stage group; CLAFusion aligns the student's layers to the teacher's
-- by activation CKA, balances the pair by adding identity layers to the
-- student, fuses with OT, then finetunes the fused model.  Prints the
-- accuracies of the teacher, the student, their ensemble, the fused model
-- before and after finetuning, and the student trained for the same extra
-- epochs (the fair comparison for finetuning), and the finding they
-- support: does finetuning the fused model beat training the student on?
--
--   clafuse run scripts/examples/teacher_student.lua           # under 30 s
--   clafuse run scripts/examples/teacher_student.lua --paper   # wider, longer
--   clafuse run scripts/examples/teacher_student.lua --tiny    # seconds (tests)
local o = cf.args(arg, {
  width = 6, epochs = 2, finetune = 1, train = 6000, test = 2000, samples = 200,
  seed = 1, paper = false, tiny = false, quiet = false,
}, "usage: clafuse run teacher_student.lua [options]\n"
   .. "widths are multiples of --width: teacher w,M,2w,2w,M,4w,4w,M; student w,M,2w,M,4w,M")
if o.paper then
  o.width, o.epochs, o.finetune, o.train, o.test = 32, 20, 20, 60000, 10000
elseif o.tiny then
  o.width, o.epochs, o.finetune, o.train, o.test, o.samples = 4, 1, 1, 400, 200, 40
end
local w = o.width
local teacher_arch = ("vgg %d M %d %d M %d %d M classes 10 in 1x28x28"):format(w, 2 * w, 2 * w, 4 * w, 4 * w)
local student_arch = ("vgg %d M %d M %d M classes 10 in 1x28x28"):format(w, 2 * w, 4 * w)

local function log(...)
  if not o.quiet then io.stderr:write(string.format(...), "\n") end
end
local train = assert(cf.data.fashion_mnist_subset("train", o.train, o.seed))
local test = assert(cf.data.fashion_mnist_subset("test", o.test, o.seed + 1))

local topts = { epochs = o.epochs, lr = 0.05, momentum = 0.9, batch = 64, seed = o.seed }
log("training the teacher %s (%d epochs on %d samples)", teacher_arch, o.epochs, train:size())
local teacher = cf.model.new(teacher_arch, o.seed)
teacher:train(train, topts)
log("training the student %s", student_arch)
local student = cf.model.new(student_arch, o.seed + 100)
student:train(train, topts)

local s <close> = cf.session{ teacher, student, data = { train, test }, params = {
  ["balance.method"] = "add", ["cla.measure"] = "activation", ["cla.metric"] = "cka",
  ["data.samples"] = o.samples, ["finetune.epochs"] = o.finetune, ["finetune.lr"] = 0.01,
  ["finetune.momentum"] = 0.9, ["finetune.seed"] = o.seed,
} }
log("fusing (add, activation/CKA alignment) and finetuning %d epochs", o.finetune)
s:run()
local m, ft = s:metrics(), s:finetune_results()

-- the student trained for the same extra epochs, for a fair comparison
local student_more = student:copy()
student_more:train(train, { epochs = o.finetune, lr = 0.01, momentum = 0.9, batch = 64, seed = o.seed })
local student_more_acc = student_more:evaluate(test)

print(("Teacher–student fusion on Fashion-MNIST (%d training samples, %d test samples)")
      :format(train:size(), test:size()))
print(("teacher: %s\nstudent: %s"):format(teacher_arch, student_arch))
print(("alignment of the student's layers to the teacher's (units): [%s]; balanced student: %s\n")
      :format(table.concat(s:map(), ","), s:balanced(select(2, s:pair())):arch()))
local rows = {
  { model = "teacher", acc = m.parents[1], note = o.epochs .. " epochs" },
  { model = "student", acc = m.parents[2], note = o.epochs .. " epochs" },
  { model = "student, trained on", acc = student_more_acc,
    note = "+" .. o.finetune .. (o.finetune == 1 and " epoch" or " epochs") },
  { model = "prediction ensemble", acc = m.ensemble, note = "two forward passes" },
  { model = "balanced student", acc = m.balanced, note = "identity layers added" },
  { model = "fused", acc = m.fused, note = "no finetuning" },
  { model = "fused, finetuned", acc = ft.best_acc,
    note = ("best of %d epoch%s (epoch %d)"):format(#ft.epochs, #ft.epochs == 1 and "" or "s",
                                                   ft.best_epoch) },
}
for _, r in ipairs(rows) do r.acc = r.acc and 100 * r.acc end
cf.table_print(rows, { { "model", "model" }, { "acc", "accuracy %", "%.2f" }, { "note", "note" } })
print("\nper-layer fusion:")
local layers = {}
for l = 1, (s:layers()) do
  local y = s:layer(l)
  layers[l] = { l = l, name = y.name, size = y.n0 .. "x" .. y.n1, cost = y.cost,
                status = y.status, trace = y.trace }
end
cf.table_print(layers, { { "l", "L" }, "name", "size", { "cost", "cost", "%.4g" }, "status",
                         { "trace", "trace ratio", "%.3f" } })

-- the finding, decided from the numbers above
local gap = 100 * (ft.best_acc - student_more_acc)
print(("\nFinding: right after fusion the fused model is at %.2f%%, %.2f points %s the student; "
       .. "after %d epoch%s of finetuning it reaches %.2f%%, %.2f points %s the student trained "
       .. "for the same %d epoch%s (%.2f%%)%s.")
      :format(100 * m.fused, math.abs(100 * (m.fused - m.parents[2])),
              m.fused < m.parents[2] and "below" or "above", o.finetune,
              o.finetune == 1 and "" or "s", 100 * ft.best_acc, math.abs(gap),
              gap < 0 and "below" or "above", o.finetune, o.finetune == 1 and "" or "s",
              100 * student_more_acc,
              gap < 0 and ": here fusing the teacher in does not pay; training the student on does"
                 or ": here the teacher's layers, fused in, are worth more than the extra training"))
